/**
 * The twin's STS keeps time on the twin clock in both directions: it checks signature dates on it, and it dates its
 * answers on it, as AWS does, so the AWS SDK's clock-skew correction (which reads the answer's Date header) moves a
 * client onto twin time instead of onto the wall clock.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { VirtualClock } from '../../../twin/clock/twin-clock';
import { type LocalSts, startLocalSts } from '../../../twin/sts/local-sts';

const CALLER = { accessKeyId: 'ASIATWINCALLER00001', secretAccessKey: 'twin-caller-secret', assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/fn/fn' };
const ROLE = { arn: 'arn:aws:iam::123456789012:role/presigner', maxSessionDurationSeconds: 3600 };
const HOUR_MS = 3_600_000;

// The SDK's Node 20 support notice says nothing about the twin.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let clock: VirtualClock;
let sts: LocalSts;

beforeAll(async () => {
  // Twin time an hour ahead of the wall clock, as after a long run of the virtual clock; it moves only by hand.
  clock = new VirtualClock({ start: Date.now() + HOUR_MS, autoAdvance: false });
  sts = await startLocalSts({ region: 'us-east-1', caller: CALLER, assumableRoles: [ROLE], clock });
});

afterAll(async () => {
  await sts.close();
  clock.dispose();
});

describe('startLocalSts', () => {
  it('dates its answers on the twin clock', async () => {
    // WHEN
    const response = await fetch(`${sts.endpoint}/`, { method: 'POST', body: 'Action=AssumeRole' });

    // THEN
    expect(response.status).toBe(403);
    expect(response.headers.get('date')).toBe(new Date(clock.now()).toUTCString());
  });

  it("moves an SDK client whose clock is behind onto twin time: the first request is refused as expired, the SDK's retry is signed on the twin clock", async () => {
    // GIVEN
    const client = new STSClient({ region: 'us-east-1', endpoint: sts.endpoint, credentials: CALLER });
    const before = sts.requests.length;

    // WHEN
    const result = await client.send(new AssumeRoleCommand({ RoleArn: ROLE.arn, RoleSessionName: 'skew', DurationSeconds: 900 }));

    // THEN
    expect(result.Credentials?.Expiration?.getTime()).toBe(clock.now() + 900_000);
    expect(sts.requests.length - before).toBe(2);
    expect(Math.abs(client.config.systemClockOffset - HOUR_MS)).toBeLessThan(60_000);
  });
});
