import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * A comma-separated list of whole numbers ≥ `min` from environment variable `name` (`fallback` when
 * unset); anything else is an error naming the variable.
 */
export function envIntList(name: string, fallback: string, min: number): number[] {
  const text = process.env[name] ?? fallback;
  const list = text.split(',').map(Number);
  if (list.some((x) => !Number.isInteger(x) || x < min)) throw new Error(`${name}: expected comma-separated whole numbers ≥ ${min}, got "${text}"`);
  return list;
}

/** A local deployment for benchmarks: nats-server, an in-process coordinator, N worker processes. */
export class BenchCluster {
  private constructor(
    readonly nats: NatsServer,
    readonly server: CoordinatorServer,
    private readonly workers: ChildProcess[],
  ) {}

  static async start(workers: number, slots: number): Promise<BenchCluster> {
    const nats = await NatsServer.start();
    const server = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: null });
    const procs: ChildProcess[] = [];
    for (let i = 0; i < workers; i++) {
      const prof = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
      procs.push(spawn(process.execPath, [...prof, CLI, 'worker', '--nats', nats.url, '--slots', String(slots), '--backend', 'none', '--grpc', 'none', '--id', `bench-${i}`], { stdio: 'ignore', env: { ...process.env, FAIRSWEEP_LOG_LEVEL: 'error' } }));
    }
    const c = new BenchCluster(nats, server, procs);
    const deadline = Date.now() + 60_000;
    while (server.coordinator.listWorkers().length < workers) {
      if (Date.now() > deadline) throw new Error('workers did not start within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return c;
  }

  /** Submits a spec and resolves with the seconds from submit to its last result recorded. */
  async timeSweep(spec: string): Promise<{ seconds: number; trials: number; ok: number; firstStartS: number; submitS: number }> {
    const c = this.server.coordinator;
    const t0 = performance.now();
    const wall0 = Date.now();
    const { sweepId, totalTrials } = await c.submit(spec);
    const submitS = (performance.now() - t0) / 1000;
    const agg = c.sweep(sweepId);
    await new Promise<void>((resolve) => {
      if (agg.finished) resolve();
      else agg.once('end', () => resolve());
    });
    const firstStart = Math.min(...[...agg.results.values()].map((r) => r.startedAtMs));
    return { seconds: (performance.now() - t0) / 1000, trials: totalTrials, ok: agg.ok, firstStartS: (firstStart - wall0) / 1000, submitS };
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((r) => {
      if (w.exitCode !== null) return r();
      w.once('exit', () => r());
      w.kill('SIGTERM');
    })));
    await this.server.close();
    await this.nats.stop();
  }
}

export function isEntry(url: string): boolean {
  return process.argv[1] !== undefined && url === `file://${process.argv[1]}`;
}
