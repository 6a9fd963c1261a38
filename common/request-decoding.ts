import {
  Metadata,
  status,
  type MethodDefinition,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';

/**
 * A request whose bytes did not decode. grpc-js answers a request its deserializer throws on with
 * INTERNAL ("Error deserializing request"), which reads as a server bug; the deserializer returns
 * this instead, and the wrapped handler answers INVALID_ARGUMENT: the client sent something that is
 * not the request message.
 */
class UndecodableRequest {
  constructor(
    readonly path: string,
    readonly error: unknown,
  ) {}

  toServiceError(): ServerErrorResponse {
    const reason = this.error instanceof Error ? this.error.message : String(this.error);
    const message = `request to ${this.path} is not a valid protobuf message: ${reason.split('\n')[0]}`;
    return Object.assign(new Error(message), { code: status.INVALID_ARGUMENT, details: message, metadata: new Metadata() });
  }
}

/**
 * A service whose unary and server-streaming methods answer a request that does not decode with
 * INVALID_ARGUMENT instead of grpc-js's INTERNAL, before their handler runs. Methods that read a
 * stream of requests are left as they are (their messages reach the handler one by one).
 */
export function withRequestDecodeErrors(
  definition: ServiceDefinition,
  impl: UntypedServiceImplementation,
): { definition: ServiceDefinition; impl: UntypedServiceImplementation } {
  const defs: Record<string, MethodDefinition<unknown, unknown>> = {};
  const handlers: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = impl[name] ?? (method.originalName !== undefined ? impl[method.originalName] : undefined);
    if (method.requestStream || handler === undefined) {
      defs[name] = method;
      if (handler) handlers[name] = handler;
      continue;
    }
    defs[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new UndecodableRequest(method.path, err);
        }
      },
    };
    handlers[name] = method.responseStream
      ? (call: ServerWritableStream<unknown, unknown>): void => {
          if (call.request instanceof UndecodableRequest) call.emit('error', call.request.toServiceError());
          else Reflect.apply(handler, impl, [call]);
        }
      : (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
          if (call.request instanceof UndecodableRequest) callback(call.request.toServiceError());
          else Reflect.apply(handler, impl, [call, callback]);
        };
  }
  return { definition: defs, impl: handlers };
}
