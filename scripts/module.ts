/**
 * `npm run module`: regenerates the committed Terraform module (terraform/async-athena-query/) and the input/output
 * tables of README.md from the constructs. Commit the result; `npm test` fails while either is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateModule, MODULE_DIRECTORY, moduleDocs, withDocs, writeModule } from './module-artifact';

const root = path.resolve(__dirname, '..');
const files = generateModule();
writeModule(path.join(root, MODULE_DIRECTORY), files);
const readmePath = path.join(root, 'README.md');
fs.writeFileSync(readmePath, withDocs(fs.readFileSync(readmePath, 'utf8'), moduleDocs()));
console.log(`Wrote ${files.size} files to ${MODULE_DIRECTORY}/ and the tables of README.md`);
