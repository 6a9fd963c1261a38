import { ListenError } from '../common/index.js';
import { CliError } from './cli-error.js';

/** The one-line fix for a NATS connection failure, or undefined when the error is something else. */
export function natsHint(err: unknown, url: string): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const text = `${err.name} ${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`;
  if (/authori[sz]ation|authentication|permissions? violation|user credentials/i.test(text)) {
    return `NATS at ${url} refused the credentials (${err.message}); check --nats-user/--nats-password (FAIRSWEEP_NATS_USER/FAIRSWEEP_NATS_PASSWORD), --nats-token or --nats-creds`;
  }
  if (/connection refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout|ConnectionError/i.test(text)) {
    return `cannot connect to NATS at ${url} (${err.message}); is nats-server running there with JetStream? Start one with \`nats-server -js\` (install: apt-get install -y nats-server, or see https://docs.nats.io), or pass --nats URL of a running server`;
  }
  return undefined;
}

/** The fix for an address a server cannot listen on: the flag that sets it, and what to pass. */
export function listenHint(err: ListenError): string {
  const flag = err.purpose === 'gRPC' ? '--grpc' : '--metrics';
  switch (err.code) {
    case 'EADDRINUSE':
      return `${err.message} (is another coordinator or worker running there?); pass ${flag} HOST:PORT with a free port (or HOST:0 to pick one)`;
    case 'EACCES':
      return `${err.message}; pass ${flag} HOST:PORT with a port above 1023 (or HOST:0 to pick one)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${err.message}; pass ${flag} HOST:PORT with an address of this machine (127.0.0.1, or 0.0.0.0 for every interface)`;
    default:
      return `${err.message}; pass ${flag} HOST:PORT with another address (HOST:0 picks a free port)`;
  }
}

/** Runs `start`; a NATS connection failure becomes a CliError that says how to fix it. */
export async function withNatsHint<T>(url: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const hint = natsHint(err, url);
    if (hint) throw new CliError(hint);
    throw err;
  }
}
