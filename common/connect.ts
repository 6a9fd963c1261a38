import { readFileSync } from 'node:fs';
import { isTransient } from './jetstream-errors.js';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';

/** How a fairsweep process reaches NATS. Credentials never appear in logs (see `redactUrl`). */
export interface NatsClientOptions {
  /** One or more server URLs, comma-separated in a string. */
  servers: string | string[];
  /** Connection name shown in nats-server monitoring. */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** Path of an nkey seed file. */
  nkeySeedFile?: string;
  /** Path of a .creds file (JWT + nkey). */
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export async function connectNats(options: NatsClientOptions): Promise<NatsConnection> {
  const servers = typeof options.servers === 'string' ? options.servers.split(',').map((s) => s.trim()).filter(Boolean) : options.servers;
  const opts: ConnectionOptions = {
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // JetStream requests in flight must survive a server restart.
    waitOnFirstConnect: false,
    // Capturing a stack trace for every request costs more than the request itself at thousands of results per second.
    noAsyncTraces: true,
  };
  if (options.user !== undefined) {
    opts.user = options.user;
    opts.pass = options.pass;
  }
  if (options.token !== undefined) opts.token = options.token;
  if (options.nkeySeedFile || options.credsFile) {
    const { nkeyAuthenticator, credsAuthenticator } = await import('@nats-io/transport-node');
    opts.authenticator = options.credsFile
      ? credsAuthenticator(readFileSync(options.credsFile))
      : nkeyAuthenticator(new TextEncoder().encode(readFileSync(options.nkeySeedFile as string, 'utf8').trim()));
  }
  if (options.tls) {
    opts.tls = {
      ...(options.tls.caFile ? { caFile: options.tls.caFile } : {}),
      ...(options.tls.certFile ? { certFile: options.tls.certFile } : {}),
      ...(options.tls.keyFile ? { keyFile: options.tls.keyFile } : {}),
    };
  }
  return connect(opts);
}

/** How long start-up waits for a JetStream cluster to elect its leaders. */
export const JETSTREAM_READY_TIMEOUT_MS = 60_000;

/** Runs `fn`, retrying while JetStream is not ready yet (e.g. a cluster electing its meta leader). */
export async function whenReady<T>(fn: () => Promise<T>, timeoutMs = JETSTREAM_READY_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

