/**
 * Bodies that break naive mapping templates or string handling arrive in the execution input byte for byte: API
 * Gateway's Lambda proxy integration hands the body to the bundled query API function, which parses it and starts the
 * execution with the input of the contract (executionInputOf).
 */
import { buildRequestModel, executionInputOf, MAX_QUERY_BYTES } from '../../constructs/builders/api-contract';
import { finished, startWorld, within, type World } from './harness';

let world: World;

/** The longest Query the synthesized request model accepts, in characters. */
const MODEL_MAX_QUERY = (buildRequestModel().properties as { Query: { maxLength: number } }).Query.maxLength;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await within(60_000, 'executions to end', world.twin.stateMachine.whenIdle()).catch(() => undefined);
  await world?.close();
});

/** A query of exactly `bytes` UTF-8 bytes: valid SQL whose comment carries every hostile character. */
function queryOfBytes(bytes: number): string {
  const head = "SELECT 'it''s' AS a, \"col1\" FROM \"database1\".\"tableA\" -- ' \" \\ \\' \t ü 😀 </script> $1 ${x} %{y}";
  const filler = bytes - Buffer.byteLength(head, 'utf8');
  return head + 'x'.repeat(filler);
}

const HOSTILE: readonly [string, string][] = [
  ['apostrophes', "SELECT 'it''s', 'o''brien' AS \"who's\""],
  ['double quotes', 'SELECT "col1" AS "a ""quoted"" name" FROM "database1"."tableA"'],
  ['backslashes', "SELECT '\\', '\\\\', '\\n', '\\'' AS slashes"],
  ['a backslash before an apostrophe', "SELECT 'a\\''' AS tricky"],
  ['newlines, tabs and carriage returns', "SELECT\n\t1 AS one,\r\n\t'two' AS \"two\"\n"],
  ['tabs, DEL and other allowed control characters', 'SELECT \'\t\u007f\u0085\u2028\' AS ctl'],
  ['unicode', "SELECT 'ünïcödé ✓ 日本語 עברית' AS text"],
  ['emoji (surrogate pairs)', "SELECT '😀👍🏽🧑‍💻' AS emoji"],
  ['markup and slashes', "SELECT '</script><b>&amp;</b> // /* */' AS html"],
  ['dollar signs, Java replacement groups and template syntax', "SELECT '$1 $0 ${x} %{y} $$ \\$' AS dollars"],
  ['a query near the size limit', queryOfBytes(MODEL_MAX_QUERY - 512)],
];

describe('e2e: hostile bodies', () => {
  it.each(HOSTILE)('keeps %s byte for byte in the execution input', async (_name, query) => {
    // GIVEN
    const body = { Query: query, CallbackUrl: `${world.receiver.url('/hook')}?tag=a&b=c%20d` };

    // WHEN
    const response = await world.post(body);

    // THEN
    expect(response.status).toBe(200);
    const record = world.twin.stateMachine.describe((response.json as { executionArn: string }).executionArn);
    expect(record?.input).toEqual(executionInputOf(body));
    const received = (record?.input as { Query: string }).Query;
    expect(Buffer.from(received, 'utf8').equals(Buffer.from(query, 'utf8'))).toBe(true);
  });

  // Athena's GetQueryExecution result carries the query text, so a query near 256 KiB would make the StartQuery result
  // exceed Step Functions' 256 KiB payload quota (States.DataLimitExceeded, which no Catch handles): the model's
  // MAX_QUERY_CHARACTERS keeps every accepted query under it (query-api.test.ts proves the largest one).
  it('delivers a callback for every accepted query, even one near the size limit', async () => {
    // GIVEN
    const query = queryOfBytes(MODEL_MAX_QUERY - 512);

    // WHEN
    const executionArn = await world.submit(query, world.receiver.url('/near-limit'));
    const record = await finished(world, executionArn);

    // THEN
    expect(record.error).not.toBe('States.DataLimitExceeded');
    expect(record.status).toBe('SUCCEEDED');
    const delivery = await within(60_000, 'callback', world.receiver.waitFor((d) => d.path === '/near-limit'));
    expect((delivery.payload as { State: { State: string } }).State.State).toBe('SUCCEEDED');
  });

  it('refuses with 400, starting nothing, a body whose execution input would exceed 256 KiB', async () => {
    // GIVEN a Query of Athena's maximum size, which the model refuses before StartExecution sees it.
    const before = world.twin.stateMachine.executions.length;
    const body = { Query: 'x'.repeat(MAX_QUERY_BYTES), CallbackUrl: world.receiver.url('/too-big') };

    // WHEN
    const response = await world.post(body);

    // THEN
    expect(response.status).toBe(400);
    expect(world.twin.stateMachine.executions).toHaveLength(before);
  });
});
