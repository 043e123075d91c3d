/** The interpreter as the twin loads it: States.JsonToString returns valid JSON, as Step Functions does. */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { RealTimeClock } from '../../../twin/clock/twin-clock';
import { interpreterOn } from '../../../twin/step-functions/interpreter';

const { StateMachine } = interpreterOn(new RealTimeClock());

type Json = Parameters<InstanceType<typeof StateMachine>['run']>[0];

async function passOutput(parameters: Record<string, string>, input: Json): Promise<unknown> {
  const definition = { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: parameters, End: true } } } as unknown as StateMachineDefinition;
  return new StateMachine(definition).run(input).result;
}

describe('the twin interpreter', () => {
  it('renders JSON holding quotes, backslashes and escapes with States.JsonToString, as JSON.stringify does', async () => {
    // GIVEN
    const record = { Cause: '{"errorMessage":"a \\"quoted\\" \\\\ path"}', Text: 'C:\\dir', Unicode: '\u00e9\ufffd' };

    // WHEN
    const output = (await passOutput({ 'Rendered.$': 'States.JsonToString($.Record)' }, { Record: record })) as { Rendered: string };

    // THEN
    expect(output.Rendered).toBe(JSON.stringify(record));
    expect(JSON.parse(output.Rendered)).toEqual(record);
  });

  it('keeps the other intrinsics as the package computes them', async () => {
    // WHEN
    const output = await passOutput({ 'Sum.$': 'States.MathAdd($.n, 1)', 'Parsed.$': 'States.StringToJson($.text)' }, { n: 41, text: '{"a":"b"}' });

    // THEN
    expect(output).toEqual({ Sum: 42, Parsed: { a: 'b' } });
  });
});
