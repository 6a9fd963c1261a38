import { SweepServiceService } from '../proto/index.js';
import { checkServerTls, followReaders, startGrpcServer, parseHostPort, startMetricsServer, type GrpcTlsOptions, type MetricsServer, type RunningGrpcServer } from '../common/index.js';
import { sweepService } from './api/sweep-service.js';
import { Coordinator } from './coordinator.js';
import { compileCoordinatorOptions, type CompiledCoordinatorOptions, type CoordinatorOptions } from './coordinator-options.js';
import { InvalidOptionError } from './errors.js';

/** gRPC address of the coordinator when none is given. */
export const DEFAULT_GRPC_ADDRESS = '127.0.0.1:50051';
/** Prometheus endpoint when none is given: none. */
export const DEFAULT_METRICS_ADDRESS = null;

export interface CoordinatorServerOptions extends CoordinatorOptions {
  /** gRPC HOST:PORT (port 0 picks one). Default DEFAULT_GRPC_ADDRESS (127.0.0.1:50051). */
  grpc?: string;
  /** Prometheus HOST:PORT (port 0 picks one), or null for none. Default DEFAULT_METRICS_ADDRESS (none). */
  metrics?: string | null;
  /** Serve gRPC over TLS: certFile and keyFile together, clientCaFile (mutual TLS) only with them. Default plaintext. */
  tls?: GrpcTlsOptions;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** CoordinatorServerOptions with every default filled in and every value checked. */
export interface CompiledCoordinatorServerOptions {
  readonly coordinator: Readonly<CompiledCoordinatorOptions>;
  readonly grpc: HostPort;
  readonly metrics: HostPort | null;
  readonly tls: GrpcTlsOptions | undefined;
}

/** Fills in the defaults and checks every option; throws InvalidOptionError naming the first bad one. */
export function compileCoordinatorServerOptions(options: CoordinatorServerOptions): Readonly<CompiledCoordinatorServerOptions> {
  const metrics = options.metrics === undefined ? DEFAULT_METRICS_ADDRESS : options.metrics;
  return Object.freeze({
    coordinator: compileCoordinatorOptions(options),
    grpc: hostPortOption('grpc', options.grpc ?? DEFAULT_GRPC_ADDRESS),
    metrics: metrics === null ? null : hostPortOption('metrics', metrics),
    tls: tlsOption(options.tls),
  });
}

function hostPortOption(name: string, value: string): HostPort {
  try {
    return parseHostPort(value, name);
  } catch (err) {
    throw new InvalidOptionError(name, `expected HOST:PORT (port 0 picks a free one), got ${JSON.stringify(value)}`, { cause: err });
  }
}

/** TLS files given in a combination that would serve plaintext are refused (common/grpc.ts checkServerTls), before NATS is touched. */
function tlsOption(tls: GrpcTlsOptions | undefined): GrpcTlsOptions | undefined {
  checkServerTls(tls);
  return tls;
}

/** gRPC service name of the coordinator's API, as the health service reports it. */
const SERVICE_NAME = 'fairsweep.v1.SweepService';

/**
 * A coordinator with its gRPC API and /metrics endpoint. Its gRPC health status (overall and
 * SweepService) is NOT_SERVING, and its /healthz answers 503, while one of its NATS readers is
 * down (Coordinator.readers).
 */
export class CoordinatorServer {
  private closing: Promise<void> | undefined;
  private readonly unfollow: () => void;
  private constructor(
    readonly coordinator: Coordinator,
    private readonly grpc: RunningGrpcServer,
    private readonly metricsServer: MetricsServer | undefined,
    readonly grpcHost: string,
  ) {
    this.unfollow = followReaders(grpc.health, ['', SERVICE_NAME], coordinator.readers);
  }

  /** Checks the options (InvalidOptionError) before connecting to anything. */
  static async start(options: CoordinatorServerOptions): Promise<CoordinatorServer> {
    const o = compileCoordinatorServerOptions(options);
    const coordinator = await Coordinator.start(o.coordinator);
    let grpc: RunningGrpcServer | undefined;
    try {
      const g = o.grpc;
      grpc = await startGrpcServer(`${g.host.includes(':') ? `[${g.host}]` : g.host}:${g.port}`, [{ name: SERVICE_NAME, definition: SweepServiceService, impl: sweepService(coordinator) }], o.tls);
      const metrics = o.metrics ? await startMetricsServer(coordinator.metrics.registry, o.metrics.host, o.metrics.port) : undefined;
      metrics?.setHealthCheck(() => coordinator.readers.unhealthy());
      return new CoordinatorServer(coordinator, grpc, metrics, g.host);
    } catch (err) {
      await grpc?.close();
      await coordinator.close();
      throw err;
    }
  }

  get grpcPort(): number {
    return this.grpc.port;
  }

  get grpcAddress(): string {
    return `${this.grpcHost === '0.0.0.0' ? '127.0.0.1' : this.grpcHost}:${this.grpc.port}`;
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** Graceful: stops accepting calls, lets streams finish briefly, then disconnects. Idempotent; every step runs even when one fails. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unfollow();
      const failures: unknown[] = [];
      for (const step of [() => this.grpc.close(), () => this.metricsServer?.close(), () => this.coordinator.close()]) {
        await Promise.resolve().then(step).catch((err: unknown) => failures.push(err));
      }
      if (failures.length > 0) throw new AggregateError(failures, 'closing the coordinator server failed');
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
