/**
 * The `cdktf deploy` app: one {@link AsyncAthenaQueryStack}, whose Terraform variables are the module's inputs
 * (`cdktf deploy --var output_location=s3://my-results/athena/`). The stack class lives in the package
 * (constructs/async-athena-query-stack.ts) so library users and `npm run module` build the very same stack.
 */
import { App } from 'cdktf';
import { AsyncAthenaQueryStack } from './constructs/async-athena-query-stack';

export { AsyncAthenaQueryStack, type AsyncAthenaQueryStackOptions } from './constructs/async-athena-query-stack';

if (require.main === module) {
  const app = new App();
  new AsyncAthenaQueryStack(app, 'async-athena-query');
  app.synth();
}
