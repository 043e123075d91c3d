/**
 * The `--help` texts of `async-athena-query`. Pure.
 */
import type { CommandName } from './arguments';
import { EXIT_CODE_HELP } from './exit-codes';

const GLOBAL = `Where the API is (one of, in this order):
  --api-url URL                 the stage URL, or the module's api_invoke_url output
  --terraform-output-dir DIR    run \`terraform output -json\` in DIR and take api_invoke_url
  --terraform-output-name NAME  with --terraform-output-dir: the output holding it (default api_invoke_url)
  ASYNC_ATHENA_API_URL          environment variable, when neither option is given

Signing (SigV4 for execute-api, the AWS SDK's credential chain: environment, profiles, SSO, credential_process,
web identity, ECS and EC2 metadata):
  --region REGION               default: the region in the execute-api host name, else AWS_REGION
  --profile NAME                a profile of ~/.aws/config (default: AWS_PROFILE, else default)

Output:
  --json                        print the API's JSON answer (errors as {"error": {...}} on standard error)
  -h, --help                    this help; \`async-athena-query COMMAND --help\` for one command
  --version                     the package version`;

const EXIT = `Exit codes:\n${EXIT_CODE_HELP.map(([code, text]) => `  ${code}  ${text}`).join('\n')}`;

const COMMAND_HELP: Readonly<Record<CommandName, string>> = {
  submit: `async-athena-query submit (--query SQL | --query-file FILE) --callback-url URL [options]

Starts a query (POST /queries) and prints its id (the whole answer with --json).
  -q, --query SQL               the SQL text
  --query-file FILE             read the SQL from FILE (- for standard input)
  --callback-url URL            the https URL the outcome is POSTed to (a signed Standard Webhooks callback)
  --idempotency-key KEY         1..80 of A-Za-z0-9_-; becomes the query id: a retry with the same key and body
                                returns the same query, the same key with another body is refused (409)
  --param VALUE                 a value for the next ? placeholder, as an SQL literal ('text', 42); repeatable
  --reuse-minutes N             reuse a result of the same query at most N minutes old (0..10080, 0 = off)`,
  status: `async-athena-query status ID

Prints the query's status (GET /queries/ID): QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED, with dates, Athena's
query execution id and statistics, and where its callback stands.`,
  wait: `async-athena-query wait ID [--timeout SECONDS] [--max-interval SECONDS]

Polls the status until the query is SUCCEEDED, FAILED or CANCELLED (capped exponential backoff with full jitter),
with a progress line on standard error, then prints the final status. Exits 0 for SUCCEEDED, 3 for FAILED or
CANCELLED, 5 when --timeout runs out.
  --timeout SECONDS             give up after this long (default: no limit)
  --max-interval SECONDS        longest pause between polls (default 20)`,
  cancel: `async-athena-query cancel ID

Cancels the query (DELETE /queries/ID): a running query is stopped in Athena (CANCELLING), one not started yet never
starts (CANCELLED); the callback reports CANCELLED either way. A finished query cannot be cancelled (409).`,
  result: `async-athena-query result ID [--output FILE | --link]

Gets a freshly presigned link to the result CSV of a SUCCEEDED query (GET /queries/ID/result) and downloads it.
  -o, --output FILE             write the CSV to FILE (default: standard output)
  --link                        print the presigned URL instead of downloading (it grants access until it expires)`,
};

/** The help of one command, or of the whole CLI. */
export function helpText(topic?: CommandName): string {
  if (topic !== undefined) return `${COMMAND_HELP[topic]}\n\n${GLOBAL}\n\n${EXIT}\n`;
  return `async-athena-query: submit, follow, cancel and download queries of the async Athena query API.

Usage: async-athena-query COMMAND [ID] [options]

Commands:
  submit   start a query and print its id
  status   print a query's status
  wait     wait until a query has finished, then print its status
  cancel   cancel a query
  result   download the result CSV of a SUCCEEDED query

${GLOBAL}

${EXIT}

Examples:
  export ASYNC_ATHENA_API_URL=https://abc123.execute-api.eu-west-1.amazonaws.com/live
  id=$(async-athena-query submit --query "SELECT * FROM sales WHERE day = ?" --param "'2024-01-01'" \\
        --callback-url https://hooks.example.com/athena --idempotency-key nightly-2024-01-01)
  async-athena-query wait "$id" && async-athena-query result "$id" --output sales.csv
`;
}
