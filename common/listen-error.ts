/** What a listening socket was for, in messages: `gRPC`, `metrics`. */
export type ListenPurpose = 'gRPC' | 'metrics';

/** Readable reasons for the errno codes a listen fails with. */
const REASONS: Record<string, string> = {
  EADDRINUSE: 'address in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
};

/**
 * A server could not listen on its address (port in use, no permission, no such interface).
 * `code` is the errno code when known (`EADDRINUSE`...); the cause is attached.
 */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    readonly address: string,
    readonly purpose: ListenPurpose,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(`cannot listen on ${address} for ${purpose}: ${(code && REASONS[code]) ?? code ?? causeText(options.cause)}`, options);
  }
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** The errno code of a listen failure: from the error, or from the text grpc-js wraps it in. */
export function listenErrorCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  const m = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN)\b/.exec(causeText(err));
  return m?.[1];
}

/** An address flag that is not HOST:PORT. */
export class AddressError extends Error {
  override name = 'AddressError';
}
