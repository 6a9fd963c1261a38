import { Metadata, status, type ServiceError, type ClientReadableStream, type CallOptions } from '@grpc/grpc-js';
import { SweepServiceClient } from '../proto/index.js';
import { channelCredentials, type GrpcTlsOptions } from '../common/index.js';
import { CliError } from './cli-error.js';

/** Deadline of a unary call from the CLI. */
export const RPC_DEADLINE_MS = 30_000;

export function sweepClient(address: string, tls?: GrpcTlsOptions): SweepServiceClient {
  return new SweepServiceClient(address, channelCredentials(tls), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
}

type Unary<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, cb: (err: ServiceError | null, res: Res) => void) => unknown;

/** Calls a unary RPC with a deadline; gRPC errors become one-line CliErrors. */
export function call<Req, Res>(client: SweepServiceClient, fn: Unary<Req, Res>, req: Req, address: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn.call(client, req, new Metadata(), { deadline: Date.now() + RPC_DEADLINE_MS }, (err, res) => (err ? reject(rpcError(err, address)) : resolve(res)));
  });
}

/**
 * grpc-js's connection failure text, readable: `No connection established. Last error: Error:
 * connect ECONNREFUSED 127.0.0.1:1. Resolution note: ` becomes `connect ECONNREFUSED 127.0.0.1:1`;
 * a resolution note is kept only when there is one.
 */
export function connectionDetails(details: string): string {
  const m = /^No connection established\. Last error: (?:Error: )?(.*?)\.? Resolution note: ?(.*)$/s.exec(details.trim());
  if (!m) return details.trim();
  const [, last = '', note = ''] = m;
  return note.trim() ? `${last}; ${note.trim()}` : last;
}

export function rpcError(err: ServiceError, address: string): CliError {
  // The coordinator answered, JetStream did not (coordinator/api/grpc-errors.ts): not a connection failure.
  if (err.metadata?.get('fairsweep-error-cause')[0] === 'jetstream-unavailable') return new CliError(`the coordinator at ${address} answered: ${err.details}`);
  if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) {
    return new CliError(
      `cannot reach the coordinator at ${address} (${connectionDetails(err.details || err.message)}); is \`fairsweep coordinator\` running at ${address}? Start it with \`fairsweep coordinator --nats nats://HOST:4222 --grpc ${address}\`, or point --coordinator (FAIRSWEEP_COORDINATOR) at the address it printed`,
    );
  }
  if (err.code === status.UNAUTHENTICATED || err.code === status.PERMISSION_DENIED) {
    return new CliError(`the coordinator at ${address} refused the call: ${err.details}; check --tls-ca/--tls-cert/--tls-key`);
  }
  return new CliError(err.details || err.message);
}

/** Collects a server stream, mapping its error like a unary call's. */
export function collect<T>(stream: ClientReadableStream<T>, address: string, onData?: (item: T) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (d: T) => (onData ? onData(d) : items.push(d)));
    stream.on('error', (err: ServiceError) => reject(rpcError(err, address)));
    stream.on('end', () => resolve(items));
  });
}
