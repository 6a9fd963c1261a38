import { createServer } from 'node:net';
import { ListenError, parseHostPort, type ListenPurpose } from '../common/index.js';

/**
 * Fails with a ListenError when HOST:PORT cannot be listened on right now (port in use, no
 * permission), by opening and closing a socket there. A server checks its ports this way before it
 * connects to NATS and reports ready, so a taken port is the first and only thing it says; the
 * server's own listen still reports a port taken in between. Port 0 is always free.
 */
export async function checkListenable(value: string, flag: string, purpose: ListenPurpose): Promise<void> {
  const { host, port } = parseHostPort(value, flag);
  if (port === 0) return;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(address, purpose, err.code, { cause: err })));
    probe.listen({ host, port }, () => probe.close(() => resolve()));
  });
}
