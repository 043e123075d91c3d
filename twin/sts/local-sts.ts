/**
 * A local STS that answers AssumeRole (AWS Query protocol) for the roles the stack defines, enforcing what IAM would:
 * the caller must sign with the function's credentials, may assume only the roles it is allowed to, and a chained
 * session lasts at most one hour (and no longer than the role's MaxSessionDuration).
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import { flatHeaders, listenLocally, readBody, type RunningServer } from '../wiring/http-util';
import { type StaticCredentials, verifySignature } from '../iam/sigv4-verifier';

/** Temporary credentials issued for a role. */
export interface RoleSession extends Required<StaticCredentials> {
  readonly roleArn: string;
  readonly expiration: Date;
}

/** A role the caller may assume. */
export interface AssumableRole {
  readonly arn: string;
  readonly maxSessionDurationSeconds: number;
}

/** Options of {@link startLocalSts}. */
export interface LocalStsOptions {
  readonly region: string;
  /** The principal allowed to call (a function's execution role session), with its ARN for error messages. */
  readonly caller: StaticCredentials & { readonly assumedRoleArn: string };
  /** Further principals allowed to call, with the same roles to assume (the query API function's session). */
  readonly moreCallers?: readonly (StaticCredentials & { readonly assumedRoleArn: string })[];
  /** Roles whose trust policy admits the caller and which the caller's policy lets it assume. */
  readonly assumableRoles: readonly AssumableRole[];
  /** Called with each new session, so the services that honour it can learn its keys. */
  readonly onSession?: (session: RoleSession) => void;
  /** The twin clock: signature dates and session expirations. @default the wall clock */
  readonly clock?: TwinClock;
}

/** A running local STS. */
export interface LocalSts {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_STS. */
  readonly endpoint: string;
  /** Every AssumeRole request's parameters, in order. */
  readonly requests: readonly Readonly<Record<string, string>>[];
  close(): Promise<void>;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** Role chaining (a role assuming a role) caps sessions at one hour. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining */
const ROLE_CHAINING_MAX_SECONDS = 3600;

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function token(bytes: number): string {
  return randomBytes(bytes).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/** Starts the STS on 127.0.0.1. */
export async function startLocalSts(options: LocalStsOptions): Promise<LocalSts> {
  const requests: Record<string, string>[] = [];
  const clock = options.clock ?? new RealTimeClock();
  const callers = [options.caller, ...(options.moreCallers ?? [])];
  const server = http.createServer((req, res) => {
    const fail = (status: number, type: 'Sender' | 'Receiver', code: string, message: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>` +
          `<RequestId>${token(12)}</RequestId></ErrorResponse>`,
      );
    };
    readBody(req, 64 * 1024)
      .then(async (body) => {
        const params = Object.fromEntries(new URLSearchParams(body));
        requests.push(params);
        const verdict = await verifySignature(
          { method: req.method ?? 'POST', url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers: flatHeaders(req), body },
          { region: options.region, service: 'sts', secretFor: (key) => callers.find((c) => c.accessKeyId === key)?.secretAccessKey, now: clock.now() },
        );
        if (!verdict.ok) {
          const code = verdict.errorType === 'UnrecognizedClientException' ? 'InvalidClientTokenId' : 'SignatureDoesNotMatch';
          return fail(403, 'Sender', code, verdict.message);
        }
        if (params.Action !== 'AssumeRole') return fail(400, 'Sender', 'InvalidAction', `Could not find operation ${params.Action} for version 2011-06-15`);
        const role = options.assumableRoles.find((r) => r.arn === params.RoleArn);
        if (role === undefined) {
          const caller = callers.find((c) => c.accessKeyId === verdict.accessKeyId) ?? options.caller;
          return fail(403, 'Sender', 'AccessDenied', `User: ${caller.assumedRoleArn} is not authorized to perform: sts:AssumeRole on resource: ${params.RoleArn}`);
        }
        const duration = Number(params.DurationSeconds ?? '3600');
        if (!Number.isInteger(duration) || duration < 900) {
          return fail(400, 'Sender', 'ValidationError', `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
        }
        if (duration > ROLE_CHAINING_MAX_SECONDS) {
          return fail(400, 'Sender', 'ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
        }
        if (duration > role.maxSessionDurationSeconds) {
          return fail(400, 'Sender', 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
        }
        const session: RoleSession = {
          roleArn: role.arn,
          accessKeyId: `ASIA${token(16).toUpperCase().slice(0, 16)}`,
          secretAccessKey: token(30),
          sessionToken: token(96),
          expiration: new Date(clock.now() + duration * 1000),
        };
        options.onSession?.(session);
        const [, , , , account, resource] = role.arn.split(':');
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end(
          `<AssumeRoleResponse xmlns="${XMLNS}"><AssumeRoleResult><Credentials>` +
            `<AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${session.secretAccessKey}</SecretAccessKey>` +
            `<SessionToken>${session.sessionToken}</SessionToken><Expiration>${session.expiration.toISOString()}</Expiration>` +
            `</Credentials><AssumedRoleUser><AssumedRoleId>AROA${token(12).toUpperCase()}:${xmlEscape(params.RoleSessionName ?? '')}</AssumedRoleId>` +
            `<Arn>arn:aws:sts::${account}:assumed-role/${xmlEscape(resource.replace(/^role\//, ''))}/${xmlEscape(params.RoleSessionName ?? '')}</Arn>` +
            `</AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${token(12)}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
        );
      })
      .catch((error: unknown) => fail(500, 'Receiver', 'InternalFailure', error instanceof Error ? error.message : String(error)));
  });
  const running: RunningServer = await listenLocally(server, { clock });
  return { endpoint: `http://127.0.0.1:${running.port}`, requests, close: running.close };
}
