import { COMMAND_OPTIONS, COMMANDS, parseCliArguments } from '../../client/cli/arguments';

describe('parseCliArguments', () => {
  it('reads submit with every option, global options before and after the command', () => {
    // WHEN
    const command = parseCliArguments([
      '--api-url', 'https://abc.execute-api.eu-west-1.amazonaws.com/live',
      'submit', '--query', 'SELECT ?', '--callback-url', 'https://hooks.example.com/a',
      '--idempotency-key', 'k-1', '--param', "'2024-01-01'", '--param=-5', '--reuse-minutes', '60', '--json', '--profile', 'analytics',
    ]);
    // THEN
    expect(command).toEqual({
      command: 'submit',
      global: { apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/live', terraformOutputName: 'api_invoke_url', profile: 'analytics', json: true },
      query: { kind: 'text', text: 'SELECT ?' },
      callbackUrl: 'https://hooks.example.com/a',
      idempotencyKey: 'k-1',
      executionParameters: ["'2024-01-01'", '-5'],
      resultReuseMaxAgeMinutes: 60,
    });
  });

  it('reads the query from a file, or from standard input for -', () => {
    expect(parseCliArguments(['submit', '--query-file', 'q.sql', '--callback-url', 'https://h/x'])).toMatchObject({ query: { kind: 'file', path: 'q.sql' }, executionParameters: [] });
    expect(parseCliArguments(['submit', '--query-file', '-', '--callback-url', 'https://h/x'])).toMatchObject({ query: { kind: 'stdin' } });
  });

  it.each([
    [['submit', '--callback-url', 'https://h/x'], 'submit needs exactly one of --query SQL or --query-file FILE (- for standard input)'],
    [['submit', '-q', 'x', '--query-file', 'f', '--callback-url', 'https://h/x'], 'submit needs exactly one of --query SQL or --query-file FILE (- for standard input)'],
    [['submit', '-q', 'x'], 'submit needs --callback-url URL (the https URL the outcome is POSTed to)'],
    [['submit', 'SELECT 1', '--callback-url', 'https://h/x'], 'submit takes no arguments, only options; got "SELECT 1" (quote the SQL after --query)'],
    [['submit', '-q', 'x', '--callback-url', 'https://h/x', '--reuse-minutes', '1.5'], '--reuse-minutes must be a whole number of minutes (0 disables reuse), got "1.5"'],
    [['submit', '-q', 'x', '--callback-url', 'https://h/x', '--output', 'f'], 'submit does not take --output'],
    [['status'], 'status takes one query id, got none'],
    [['cancel', 'a', 'b'], 'cancel takes one query id, got 2'],
    [['wait', 'a', '--timeout', '0'], '--timeout must be a positive number of seconds, got "0"'],
    [['wait', 'a', '--max-interval', 'soon'], '--max-interval must be a positive number of seconds, got "soon"'],
    [['result', 'a', '--link', '--output', 'f.csv'], 'result takes --link (print a fresh URL) or --output FILE (download), not both'],
    [['result', 'a', '--json'], 'result --json needs --output FILE or --link: without them the CSV itself goes to standard output'],
    [['status', 'a', '--api-url', 'https://x/live', '--terraform-output-dir', 'tf'], 'give the API URL one way: --api-url or --terraform-output-dir, not both'],
    [['status', 'a', '--terraform-output-name', 'url'], '--terraform-output-name needs --terraform-output-dir'],
    [['launch'], 'unknown command "launch": expected one of submit, status, wait, cancel, result'],
    [[], 'a command is required: one of submit, status, wait, cancel, result'],
    [['help', 'launch'], 'help takes one command name (submit, status, wait, cancel, result), got "launch"'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseCliArguments(argv)).toThrow(expect.objectContaining({ name: 'UsageError', message }));
  });

  it('passes on parseArgs\' own message for an unknown option, naming the command', () => {
    expect(() => parseCliArguments(['status', 'a', '--bogus'])).toThrow(expect.objectContaining({ name: 'UsageError', command: 'status', message: expect.stringContaining("Unknown option '--bogus'") }));
  });

  it('reads wait\'s timeout and longest pause as milliseconds', () => {
    expect(parseCliArguments(['wait', 'q-1', '--timeout', '90', '--max-interval', '0.25'])).toEqual({ command: 'wait', global: { terraformOutputName: 'api_invoke_url', json: false }, queryId: 'q-1', timeoutMs: 90_000, maxIntervalMs: 250 });
  });

  it('reads result to a file, to standard output, or as a link', () => {
    expect(parseCliArguments(['result', 'q-1', '-o', 'out.csv'])).toMatchObject({ command: 'result', queryId: 'q-1', output: 'out.csv', link: false });
    expect(parseCliArguments(['result', 'q-1'])).toMatchObject({ command: 'result', link: false });
    expect(parseCliArguments(['result', 'q-1', '--link', '--json'])).toMatchObject({ command: 'result', link: true, global: { json: true } });
  });

  it('reads the API URL from a Terraform directory with a named output', () => {
    expect(parseCliArguments(['status', 'q', '--terraform-output-dir', 'infra', '--terraform-output-name', 'query_api'])).toMatchObject({ global: { terraformOutputDir: 'infra', terraformOutputName: 'query_api' } });
  });

  it('answers help for --help, help COMMAND and COMMAND --help, and version for --version', () => {
    expect(parseCliArguments(['--help'])).toEqual({ command: 'help' });
    expect(parseCliArguments(['help', 'wait'])).toEqual({ command: 'help', topic: 'wait' });
    expect(parseCliArguments(['cancel', '-h'])).toEqual({ command: 'help', topic: 'cancel' });
    expect(parseCliArguments(['--version'])).toEqual({ command: 'version' });
  });

  it('lists the options of every command', () => {
    expect(Object.keys(COMMAND_OPTIONS).sort()).toEqual([...COMMANDS].sort());
  });
});
