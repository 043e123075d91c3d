/**
 * A throwaway TLS certificate for local https receivers.
 *
 * The request model only accepts `https://` callback URLs, so the twin's receivers speak TLS too. The certificate is
 * made fresh with the openssl CLI (Node has no API to issue X.509 certificates), lives one day, and is trusted only
 * inside the twin's Lambda sandbox, the way NODE_EXTRA_CA_CERTS would trust it in a real runtime.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A PEM key and its self-signed certificate. */
export interface LocalCertificate {
  readonly key: string;
  readonly cert: string;
}

/** Issues a certificate for 127.0.0.1 and localhost. Throws with a how-to-fix message when openssl is missing. */
export function createLocalCertificate(): LocalCertificate {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-tls-'));
  const keyFile = path.join(directory, 'key.pem');
  const certFile = path.join(directory, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1',
        '-subj', '/CN=cdktf-async-athena-query twin receiver',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `The twin needs the openssl command (1.1.1 or later) to make a throwaway certificate for its https callback ` +
        `receiver, because the API only accepts https callback URLs. Install openssl and retry. (${reason})`,
    );
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
