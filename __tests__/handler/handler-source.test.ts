/** The handler run from source (not bundled): what differs from the bundle is only the User-Agent fallback. */
import type { DeliveryRequest, DeliveryResult } from '../../handler/types';
import { isolatedEnv } from '../support/bundled-callbacker';
import { caughtErrorEvent } from '../support/callbacker-events';
import { type LocalReceiver, startReceiver, status } from '../support/local-receiver';

let receiver: LocalReceiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

it('sends the package name as User-Agent when the bundler did not define a version', async () => {
  // GIVEN
  receiver.respondWith(status(200));
  const saved = process.env;
  process.env = isolatedEnv({
    PRESIGN_EXPIRY_SECONDS: '60',
    WEBHOOK_SIGNING: 'disabled',
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: 'true',
    CALLBACK_ALLOWED_PORTS: String(receiver.port),
  });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  let handler: ((event: DeliveryRequest) => Promise<DeliveryResult>) | undefined;
  jest.isolateModules(() => {
    ({ handler } = require('../../handler/index') as { handler: (event: DeliveryRequest) => Promise<DeliveryResult> });
  });

  // WHEN
  try {
    await handler?.(caughtErrorEvent({ callbackUrl: receiver.url(), error: 'States.Timeout', cause: 'The task timed out.' }));
  } finally {
    process.env = saved;
    jest.restoreAllMocks();
  }

  // THEN
  expect(receiver.requests.map((r) => r.headers['user-agent'])).toEqual(['cdktf-async-athena-query']);
});
