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

export function serverCredentials(tls?: GrpcTlsOptions): ServerCredentials {
  if (!tls?.certFile || !tls.keyFile) return ServerCredentials.createInsecure();
  const rootCa = tls.clientCaFile ? readFileSync(tls.clientCaFile) : null;
  return ServerCredentials.createSsl(rootCa, [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }], rootCa !== null);
}

export function channelCredentials(tls?: GrpcTlsOptions): ChannelCredentials {
  if (!tls?.caFile && !tls?.certFile) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(
    tls.caFile ? readFileSync(tls.caFile) : null,
    tls.keyFile ? readFileSync(tls.keyFile) : null,
    tls.certFile ? readFileSync(tls.certFile) : null,
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
