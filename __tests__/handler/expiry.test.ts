import { canReuseSession, type RoleSession, roleSessionSeconds, truthfulExpirySeconds } from '../../handler/expiry';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const ROLE = 'arn:aws:iam::123456789012:role/presigner';

function session(remainingSeconds: number, grantedSeconds: number, roleArn = ROLE): RoleSession {
  return {
    roleArn,
    credentials: { accessKeyId: 'ASIA', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(NOW + remainingSeconds * 1000) },
    grantedSeconds,
  };
}

describe('roleSessionSeconds', () => {
  it.each([
    [1, 900],
    [600, 900],
    [601, 901],
    [3600, 3900],
    [42_900, 43_200],
    [604_800, 43_200],
  ])('asks for clamp(%d + 300, 900, 43200) = %d', (requested, expected) => {
    // GIVEN / WHEN
    const seconds = roleSessionSeconds(requested);

    // THEN
    expect(seconds).toBe(expected);
  });
});

describe('truthfulExpirySeconds', () => {
  it.each([
    ['long-lived keys', 3600, undefined, 3600],
    ['credentials outliving the request', 3600, 7200.5, 3600],
    ['credentials expiring sooner', 3600, 1000.9, 1000],
    ['credentials expiring exactly then', 3600, 3600, 3600],
    ['expired credentials', 3600, -5, -5],
  ])('with %s is min(requested, whole seconds left)', (_label, requested, secondsLeft, expected) => {
    // GIVEN
    const expiration = secondsLeft === undefined ? undefined : new Date(NOW + secondsLeft * 1000);

    // WHEN
    const seconds = truthfulExpirySeconds(requested, expiration, NOW);

    // THEN
    expect(seconds).toBe(expected);
  });
});

describe('canReuseSession', () => {
  it.each([
    ['a session that still covers the request', session(3700, 3900), 3600, true],
    ['a session exactly covering the request', session(3600, 3900), 3600, true],
    ['a session a second short of what the role gives', session(3599, 3900), 3600, true],
    ['a session two seconds short of what the role gives', session(3598, 3900), 3600, false],
    ['a ten-minute session when the role gives an hour', session(600, 3600), 3600, false],
    ['a one-hour session, refreshed for the one-hour role a second later', session(3599, 3600), 3600, true],
    ['a one-hour session two seconds old', session(3598, 3600), 3600, false],
    ['a short role session as long as a fresh one', session(250, 250), 900, true],
    ['a short role session that has aged', session(240, 250), 900, false],
    ['a session that outlives a short request by a margin', session(700, 900), 600, true],
    ['a session whose margin is spent', session(598, 900), 600, false],
    ['a session of another role', session(3700, 3900, 'arn:aws:iam::123456789012:role/other'), 3600, false],
  ])('reuses %s: %j', (_label, cached, requested, expected) => {
    // GIVEN / WHEN
    const reuse = canReuseSession(cached, ROLE, requested, NOW);

    // THEN
    expect(reuse).toBe(expected);
  });
});
