import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Removes the directory (call it from `test.after.always`). */
  remove(): void;
}

/** A throwaway CA with a server certificate for 127.0.0.1/localhost and a client certificate (openssl). */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'fairsweep-certs-'));
  const p = (f: string): string => join(dir, f);
  const ssl = (...args: string[]): void => {
    try {
      execFileSync('openssl', args, { stdio: 'ignore' });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fairsweep-test-ca', '-keyout', p('ca.key'), '-out', p('ca.crt'));
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=fairsweep-${who}`, '-keyout', p(`${who}.key`), '-out', p(`${who}.csr`));
    ssl('x509', '-req', '-in', p(`${who}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p(`${who}.ext`), '-out', p(`${who}.crt`));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }), ca: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}
