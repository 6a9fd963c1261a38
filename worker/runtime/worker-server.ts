import { WorkerServiceService } from '../../proto/index.js';
import { followReaders, startGrpcServer, parseHostPort, type RunningGrpcServer } from '../../common/index.js';
import { startMetricsServer, type MetricsServer } from '../../common/metrics-server.js';
import { Worker } from './worker.js';
import { workerService } from './worker-service.js';
import { compileWorkerServerOptions, type WorkerServerOptions } from './worker-options.js';

/** gRPC service name of the worker's API, as the health service reports it. */
const SERVICE_NAME = 'fairsweep.v1.WorkerService';

/**
 * A worker with its gRPC WorkerService (+ health) and /metrics endpoint. Its gRPC health status
 * (overall and WorkerService) is NOT_SERVING, and its /healthz answers 503, while one of its NATS
 * readers is down (Worker.readers).
 */
export class WorkerServer {
  private closing: Promise<void> | undefined;
  private readonly unfollow: () => void;
  private markClosed!: () => void;
  /** Resolves once the server has closed, whatever closed it (a signal, a Drain call). */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  private constructor(
    readonly worker: Worker,
    private readonly grpc: RunningGrpcServer | undefined,
    private readonly metricsServer: MetricsServer | undefined,
    private readonly drainTimeoutMs: number,
  ) {
    this.unfollow = grpc ? followReaders(grpc.health, ['', SERVICE_NAME], worker.readers) : () => undefined;
  }

  /** Checks the options (WorkerOptionError names a bad one), then serves. */
  static async start(opts: WorkerServerOptions): Promise<WorkerServer> {
    const options = compileWorkerServerOptions(opts);
    const g = options.grpc ? parseHostPort(options.grpc, '--grpc') : undefined;
    const m = options.metrics ? parseHostPort(options.metrics, '--metrics') : undefined;
    let grpc: RunningGrpcServer | undefined;
    let server: WorkerServer | undefined;
    const holder: { drain?: (handBack: boolean) => void } = {};
    // The gRPC server is bound first so the worker's heartbeats can carry its real port.
    let worker: Worker | undefined;
    try {
      if (g) {
        grpc = await startGrpcServer(`${g.host}:${g.port}`, [
          {
            name: SERVICE_NAME,
            definition: WorkerServiceService,
            impl: workerService(() => worker, (h) => holder.drain?.(h)),
          },
        ], options.tls);
      }
      worker = await Worker.start({ ...options, ...(grpc && g ? { grpcAddress: `${g.host}:${grpc.port}` } : {}) });
      const metrics = m ? await startMetricsServer(worker.metrics.registry, m.host, m.port) : undefined;
      const started = worker;
      metrics?.setHealthCheck(() => started.readers.unhealthy());
      server = new WorkerServer(worker, grpc, metrics, options.drainTimeoutMs);
      holder.drain = (handBack) => void server?.close({ handBack });
      return server;
    } catch (err) {
      await grpc?.close();
      await worker?.drain({ handBack: true });
      throw err;
    }
  }

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** Drains the worker (running shards finish, or are handed back after the drain timeout), then stops serving. Idempotent. */
  close(options: { handBack?: boolean } = {}): Promise<void> {
    if (options.handBack) void this.worker.drain({ handBack: true });
    this.closing ??= (async () => {
      this.unfollow();
      const timer = setTimeout(() => void this.worker.drain({ handBack: true }), this.drainTimeoutMs);
      timer.unref();
      // Every step runs even when one fails; the first failure is reported after the last step.
      const steps = await Promise.allSettled([this.worker.drain()]);
      clearTimeout(timer);
      steps.push(...(await Promise.allSettled([this.grpc?.close(), this.metricsServer?.close()])));
      this.markClosed();
      const failed = steps.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
