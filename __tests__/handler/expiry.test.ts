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
    ['a session no longer covering a request the role could cover', session(3599, 3900), 3600, false],
    ['a short role session with more than five minutes left', session(301, 1000), 3600, true],
    ['a short role session with five minutes left', session(300, 1000), 3600, false],
    ['a session of another role', session(3700, 3900, 'arn:aws:iam::123456789012:role/other'), 3600, false],
  ])('reuses %s: %j', (_label, cached, requested, expected) => {
    // GIVEN / WHEN
    const reuse = canReuseSession(cached, ROLE, requested, NOW);

    // THEN
    expect(reuse).toBe(expected);
  });
});
