/**
 * The presigner role's session, kept for the sandbox's lifetime: assumed on first use, assumed again whenever a
 * fresh session would sign a longer-lived URL than the cached one (see canReuseSession), and capped at one hour
 * once STS has refused a longer session (role chaining).
 */
import { PresignFailedError } from './errors';
import { describeError } from './json';
import { canReuseSession, ROLE_CHAINING_MAX_SECONDS, type RoleSession, roleSessionSeconds, type SessionCredentials } from './expiry';

/** sts:AssumeRole of a role for `durationSeconds`; errors keep the service's error code as `name`. */
export type AssumeRoleFunction = (roleArn: string, durationSeconds: number) => Promise<SessionCredentials>;

/** One role session at a time, for one sandbox. */
export class PresignerSessionCache {
  private session: RoleSession | undefined;
  /** Set once STS has refused a longer session: later sessions are asked for one hour straight away. */
  private capSeconds: number | undefined;

  /**
   * @param assumeRole calls STS
   * @param clock epoch milliseconds; the handler's is Date.now
   */
  constructor(
    private readonly assumeRole: AssumeRoleFunction,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /**
   * The credentials to presign a URL of `requestedSeconds` with: the cached session's while it may be reused, else
   * a fresh session's.
   *
   * @throws PresignFailedError when STS refuses (after the one-hour fallback for a refused longer session)
   */
  async credentialsFor(roleArn: string, requestedSeconds: number): Promise<SessionCredentials> {
    if (this.session === undefined || !canReuseSession(this.session, roleArn, requestedSeconds, this.clock())) {
      this.session = await this.assume(roleArn, Math.min(roleSessionSeconds(requestedSeconds), this.capSeconds ?? Number.POSITIVE_INFINITY));
    }
    return this.session.credentials;
  }

  private async assume(roleArn: string, durationSeconds: number): Promise<RoleSession> {
    try {
      return await this.timedAssume(roleArn, durationSeconds);
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ValidationError' && durationSeconds > ROLE_CHAINING_MAX_SECONDS)) {
        throw new PresignFailedError(`sts:AssumeRole of ${roleArn} for ${durationSeconds} s failed: ${describeError(error)}`, { cause: error });
      }
    }
    // Role chaining (or the role's MaxSessionDuration) caps the session at one hour: ask again for what is allowed,
    // and report the shorter expiry.
    try {
      const session = await this.timedAssume(roleArn, ROLE_CHAINING_MAX_SECONDS);
      this.capSeconds = ROLE_CHAINING_MAX_SECONDS;
      return session;
    } catch (error) {
      throw new PresignFailedError(
        `sts:AssumeRole of ${roleArn} failed for ${durationSeconds} s and for ${ROLE_CHAINING_MAX_SECONDS} s: ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  private async timedAssume(roleArn: string, durationSeconds: number): Promise<RoleSession> {
    const requestedAt = this.clock();
    const credentials = await this.assumeRole(roleArn, durationSeconds);
    return { roleArn, credentials, grantedSeconds: Math.floor((credentials.expiration.getTime() - requestedAt) / 1000) };
  }
}
