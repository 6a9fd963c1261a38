import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { stringify } from 'yaml';

export interface PrometheusServerOptions {
  /** Scrape jobs: name and HOST:PORT targets (path /metrics). */
  jobs: { name: string; targets: string[] }[];
  /** Rule files copied next to the generated config. */
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval. Default 1 s. */
  intervalSeconds?: number;
  /** Time to wait for /-/ready. Default 60 s. */
  startTimeoutMs?: number;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A query the Prometheus HTTP API refused, or a server that did not start. */
export class PrometheusError extends Error {
  override name = 'PrometheusError';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A real Prometheus (`prometheus` from PATH) on a free loopback port with a generated config and a temporary store. */
export class PrometheusServer {
  private stopping: Promise<void> | undefined;
  private constructor(
    private readonly proc: ChildProcess,
    readonly url: string,
    /** The config and store directory, removed by stop(). */
    readonly dir: string,
    private readonly output: () => string,
  ) {}

  static async start(options: PrometheusServerOptions): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'fairsweep-prometheus-'));
    const interval = `${options.intervalSeconds ?? 1}s`;
    const rules: string[] = [];
    for (const f of options.ruleFiles ?? []) {
      await copyFile(f, join(dir, basename(f)));
      rules.push(join(dir, basename(f)));
    }
    await writeFile(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
        rule_files: rules,
        scrape_configs: options.jobs.map((j) => ({ job_name: j.name, static_configs: [{ targets: j.targets }] })),
      }),
    );
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      let out = '';
      const proc = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const server = new PrometheusServer(proc, `http://127.0.0.1:${port}`, dir, () => out);
      let exited = false;
      proc.once('exit', () => (exited = true));
      proc.once('error', (err) => {
        exited = true;
        out += String(err);
      });
      const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
      while (!exited && Date.now() < deadline) {
        try {
          if ((await fetch(`${server.url}/-/ready`)).ok) return server;
        } catch {
          // not listening yet
        }
        await delay(100);
      }
      await server.kill();
      if (!(exited && /address already in use/.test(out) && attempt < 3)) {
        await rm(dir, { recursive: true, force: true });
        throw new PrometheusError(`prometheus did not become ready: ${out.slice(-2000)}`);
      }
    }
  }

  /** Instant query; returns the vector (a scalar comes back as one sample with no labels). */
  async query(expr: string): Promise<PromSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
    if (body.status !== 'success' || !body.data) throw new PrometheusError(`query failed: ${body.error ?? res.status}: ${expr}`);
    if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
    return body.data.result as PromSample[];
  }

  /** The single value of a query, or undefined when it returns nothing. */
  async value(expr: string): Promise<number | undefined> {
    const r = await this.query(expr);
    if (r.length > 1) throw new PrometheusError(`expected at most one series, got ${r.length}: ${expr}`);
    return r[0] ? Number(r[0].value[1]) : undefined;
  }

  /** Alerting and recording rules with their evaluation health. */
  async rules(): Promise<{ name: string; health: string; lastError?: string; lastEvaluation: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] } };
    return body.data.groups.flatMap((g) => g.rules);
  }

  get log(): string {
    return this.output();
  }

  private async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops Prometheus and removes its config and store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.kill();
      } finally {
        await rm(this.dir, { recursive: true, force: true });
      }
    })();
    return this.stopping;
  }
}
