import { SweepServiceService } from '../proto/index.js';
import { startGrpcServer, parseHostPort, type GrpcTlsOptions, type RunningGrpcServer } from '../common/index.js';
import { startMetricsServer, type MetricsServer } from '../common/index.js';
import { sweepService } from './api/sweep-service.js';
import { Coordinator, type CoordinatorOptions } from './coordinator.js';

export interface CoordinatorServerOptions extends CoordinatorOptions {
  /** gRPC HOST:PORT (port 0 picks one). */
  grpc: string;
  /** Prometheus HOST:PORT, or null for none. */
  metrics: string | null;
  tls?: GrpcTlsOptions;
}

/** A coordinator with its gRPC API and /metrics endpoint. */
export class CoordinatorServer {
  private closing: Promise<void> | undefined;
  private constructor(
    readonly coordinator: Coordinator,
    private readonly grpc: RunningGrpcServer,
    private readonly metricsServer: MetricsServer | undefined,
    readonly grpcHost: string,
  ) {}

  static async start(options: CoordinatorServerOptions): Promise<CoordinatorServer> {
    const g = parseHostPort(options.grpc, '--grpc');
    const m = options.metrics ? parseHostPort(options.metrics, '--metrics') : undefined;
    const coordinator = await Coordinator.start(options);
    let grpc: RunningGrpcServer | undefined;
    try {
      grpc = await startGrpcServer(`${g.host.includes(':') ? `[${g.host}]` : g.host}:${g.port}`, [{ name: 'fairsweep.v1.SweepService', definition: SweepServiceService, impl: sweepService(coordinator) }], options.tls);
      const metrics = m ? await startMetricsServer(coordinator.metrics.registry, m.host, m.port) : undefined;
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

  /** Graceful: stops accepting calls, lets streams finish briefly, then disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.grpc.close();
      await this.metricsServer?.close();
      await this.coordinator.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
