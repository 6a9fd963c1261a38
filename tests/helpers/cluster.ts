import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { NatsServer } from '../../common/index.js';

/** The CLI entry point built next to the tests (dist/cli/main.js). */
export const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export async function startNats(config?: string): Promise<NatsServer> {
  return NatsServer.start(config ? { config } : {});
}

/** A CLI process (worker, coordinator...) with its output captured. */
export class CliProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly proc: ChildProcess) {
    proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Resolves with the first match of `re` in the output; rejects on exit or timeout. */
  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      const m = re.exec(this.output);
      if (m) return m;
      if (exited) throw new Error(`process exited before printing ${re}: ${this.output.slice(-2000)}`);
      await delay(25);
    }
    throw new Error(`timed out waiting for ${re}; output: ${this.output.slice(-2000)}`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  return new CliProcess(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FAIRSWEEP_LOG_LEVEL: 'warn', ...env } }));
}

/** A worker process on `natsUrl`; resolves once it reports running. */
export async function spawnWorker(natsUrl: string, extra: string[] = []): Promise<CliProcess> {
  const p = spawnCli(['worker', '--nats', natsUrl, '--backend', 'none', '--grpc', '127.0.0.1:0', ...extra]);
  await p.waitFor(/worker \S+ running/);
  return p;
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 30_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await delay(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
