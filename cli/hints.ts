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
