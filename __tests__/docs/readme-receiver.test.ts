import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Webhook } from 'standardwebhooks';
import * as ts from 'typescript';

/** Runs the receiver snippet of README.md as a user would paste it, and sends it signed and forged callbacks. */
const root = path.resolve(__dirname, '..', '..');
const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
let receiver: ChildProcess;
let port: number;
let scriptFile: string;

function readmeSnippet(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Verifying a callback'));
  const match = /```ts\n([^]*?)```/.exec(section);
  if (!match) throw new Error('README.md has no ts block under "Verifying a callback"');
  return match[1];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

async function post(body: string, headers: Record<string, string>): Promise<number> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body, headers });
      return answer.status;
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeAll(async () => {
  const code = readmeSnippet();
  expect(code.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//')).length).toBeLessThanOrEqual(18);
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
  scriptFile = path.join(root, 'node_modules', '.readme-receiver.cjs');
  fs.writeFileSync(scriptFile, js);
  port = await freePort();
  receiver = spawn(process.execPath, [scriptFile], { env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) }, stdio: 'ignore' });
});

afterAll(() => {
  receiver?.kill();
  fs.rmSync(scriptFile, { force: true });
});

describe('the README receiver snippet', () => {
  const body = JSON.stringify({ State: { State: 'SUCCEEDED', SubmissionDateTime: 1, CompletionDateTime: 2 }, ExecutionArn: 'arn:x' });
  const signed = () => {
    const timestamp = new Date();
    const id = 'msg_readme';
    return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, timestamp, body) };
  };

  it('accepts a callback signed with the secret', async () => {
    expect(await post(body, signed())).toBe(204);
  });

  it('rejects a callback whose body was altered', async () => {
    expect(await post(body.replace('SUCCEEDED', 'FAILED'), signed())).toBe(401);
  });

  it('rejects an unsigned callback', async () => {
    expect(await post(body, { 'content-type': 'application/json' })).toBe(401);
  });
});
