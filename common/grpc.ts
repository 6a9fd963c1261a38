import { readFileSync } from 'node:fs';
import {
  ChannelCredentials,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { AddressError, ListenError, listenErrorCode } from './listen-error.js';
import { withRequestDecodeErrors } from './request-decoding.js';

/** TLS material for a gRPC server or client. With `clientCaFile` on a server, clients must present certificates (mutual TLS). */
export interface GrpcTlsOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Server: require client certificates signed by this CA (mTLS). */
  clientCaFile?: string;
}

/** Largest message a fairsweep gRPC server accepts (a spec is a few KiB). */
export const MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Time a graceful gRPC shutdown may take before it becomes forced. */
export const GRPC_SHUTDOWN_GRACE_MS = 5_000;

export interface RunningGrpcServer {
  server: Server;
  port: number;
  health: HealthImplementation;
  /** Graceful shutdown, then forced after the grace period. Idempotent. */
  close(): Promise<void>;
}

/** TLS options that would leave a server serving something other than what was asked for. */
export class GrpcTlsOptionsError extends Error {
  override name = 'GrpcTlsOptionsError';
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GrpcTlsOptionsError(`${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

/**
 * Checks a server's TLS options: plaintext when none is given; otherwise the certificate and key
 * are both required, since a client CA (mutual TLS) or a CA without a certificate to serve would
 * otherwise fall back, silently, to plaintext. Throws GrpcTlsOptionsError.
 */
export function checkServerTls(tls?: GrpcTlsOptions): void {
  if (!tls || (!tls.certFile && !tls.keyFile && !tls.clientCaFile && !tls.caFile)) return;
  if (tls.clientCaFile && (!tls.certFile || !tls.keyFile)) {
    throw new GrpcTlsOptionsError('gRPC server: a client CA (--tls-client-ca) requires the server certificate and key (--tls-cert and --tls-key); without them the server would serve plaintext and check no client');
  }
  if (!tls.certFile || !tls.keyFile) {
    const given = tls.certFile ? '--tls-cert without --tls-key' : tls.keyFile ? '--tls-key without --tls-cert' : '--tls-ca without --tls-cert and --tls-key';
    throw new GrpcTlsOptionsError(`gRPC server: ${given}; serving TLS takes both a certificate and its key`);
  }
}

/** Plaintext without TLS options; TLS with a certificate and key; mutual TLS when a client CA is given as well. */
export function serverCredentials(tls?: GrpcTlsOptions): ServerCredentials {
  checkServerTls(tls);
  if (!tls?.certFile || !tls.keyFile) return ServerCredentials.createInsecure();
  const rootCa = tls.clientCaFile ? readTlsFile(tls.clientCaFile, '--tls-client-ca') : null;
  return ServerCredentials.createSsl(rootCa, [{ cert_chain: readTlsFile(tls.certFile, '--tls-cert'), private_key: readTlsFile(tls.keyFile, '--tls-key') }], rootCa !== null);
}

export function channelCredentials(tls?: GrpcTlsOptions): ChannelCredentials {
  if (!tls?.caFile && !tls?.certFile && !tls?.keyFile) return ChannelCredentials.createInsecure();
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) {
    throw new GrpcTlsOptionsError(`gRPC client: ${tls.certFile ? '--tls-cert without --tls-key' : '--tls-key without --tls-cert'}; a client certificate needs its key`);
  }
  return ChannelCredentials.createSsl(
    tls.caFile ? readTlsFile(tls.caFile, '--tls-ca') : null,
    tls.keyFile ? readTlsFile(tls.keyFile, '--tls-key') : null,
    tls.certFile ? readTlsFile(tls.certFile, '--tls-cert') : null,
  );
}

/**
 * Binds a server with the given services plus `grpc.health.v1` (overall status and one per
 * service name) on HOST:PORT (port 0 picks a free port). A request that does not decode is answered
 * INVALID_ARGUMENT (withRequestDecodeErrors). A port in use (or any failure to listen) is a
 * ListenError naming the address.
 */
export async function startGrpcServer(
  address: string,
  services: readonly { name: string; definition: ServiceDefinition; impl: UntypedServiceImplementation }[],
  tls?: GrpcTlsOptions,
): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const statuses: Record<string, 'SERVING'> = { '': 'SERVING' };
  for (const s of services) {
    const { definition, impl } = withRequestDecodeErrors(s.definition, s.impl);
    server.addService(definition, impl);
    statuses[s.name] = 'SERVING';
  }
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, serverCredentials(tls), (err, p) => (err ? reject(new ListenError(address, 'gRPC', listenErrorCode(err), { cause: err })) : resolve(p))),
  );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const name of Object.keys(statuses)) health.setStatus(name, 'NOT_SERVING');
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, GRPC_SHUTDOWN_GRACE_MS);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return closing;
  };
  return { server, port, health, close };
}

/** Splits HOST:PORT (IPv6 in brackets); a bare port means 127.0.0.1. Anything else is an AddressError. */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new AddressError(`${what}: expected HOST:PORT (port 0 picks a free one), got "${value}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}
