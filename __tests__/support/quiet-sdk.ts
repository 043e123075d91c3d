/**
 * Creates an AWS SDK client without the SDK's notice that it will need Node 22 from 2027 (checked once, at
 * construction), which is noise in test output. Test helper; not a suite.
 */
export function createQuietly<T>(create: () => T): T {
  const key = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
  const saved = process.env[key];
  process.env[key] = 'true';
  try {
    return create();
  } finally {
    if (saved === undefined) delete process.env[key];
    else process.env[key] = saved;
  }
}
