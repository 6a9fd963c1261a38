import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** A required external program (nats-server) is missing or failed to start. */
export class LaunchError extends Error {
  override name = 'LaunchError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface NatsServerOptions {
  /** Port; 0 or omitted picks a free one (nats-server `-p -1`). */
  port?: number;
  /** JetStream store directory; a fresh temporary one when omitted (removed on stop). */
  storeDir?: string;
  /** Extra lines of nats-server configuration (authorization, tls, cluster...). */
  config?: string;
  /** Extra settings inside the `jetstream { }` block, next to its store_dir (e.g. `max_file_store: 1MB`). */
  jetstream?: string;
  /** Server name (needed for clustering). */
  serverName?: string;
  /** Path of the nats-server binary; default from PATH. */
  binary?: string;
  /** How long to wait for the server to accept connections. Default 15 s. */
  startTimeoutMs?: number;
}

/** A nats-server process with JetStream, started on loopback. */
export class NatsServer {
  private closing: Promise<void> | undefined;
  private constructor(
    private proc: ChildProcess,
    readonly port: number,
    readonly storeDir: string,
    private readonly ownsStore: boolean,
    private readonly workDir: string,
    private options: NatsServerOptions,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const workDir = await mkdtemp(join(tmpdir(), 'fairsweep-nats-'));
    const storeDir = options.storeDir ?? join(workDir, 'store');
    try {
      const { proc, port } = await launch(options, workDir, storeDir, options.port ?? -1);
      return new NatsServer(proc, port, storeDir, options.storeDir === undefined, workDir, options);
    } catch (err) {
      // A server that never started leaves no temporary directory behind.
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Kills the server (SIGKILL by default: a crash) and keeps its store. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    this.proc.kill(signal);
    await exited;
  }

  /** Starts the server again on the same port with the same store. */
  async restart(): Promise<void> {
    await this.kill('SIGTERM');
    const { proc } = await launch(this.options, this.workDir, this.storeDir, this.port);
    this.proc = proc;
  }

  /**
   * Replaces the extra configuration lines (`config`, e.g. authorization and permissions) and has
   * the running server reload its configuration (SIGHUP). The server applies it asynchronously.
   */
  async reload(config: string): Promise<void> {
    const confPath = join(this.workDir, 'nats.conf');
    const text = await readFile(confPath, 'utf8');
    const base = text.slice(0, text.length - (this.options.config ?? '').length);
    this.options = { ...this.options, config };
    await writeFile(confPath, base + config);
    this.proc.kill('SIGHUP');
  }

  /** Stops the server and removes its temporary files. Idempotent. */
  stop(): Promise<void> {
    this.closing ??= (async () => {
      await this.kill('SIGTERM').catch(() => undefined);
      await rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
      if (this.ownsStore) await rm(this.storeDir, { recursive: true, force: true }).catch(() => undefined);
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

async function launch(
  options: NatsServerOptions,
  workDir: string,
  storeDir: string,
  port: number,
): Promise<{ proc: ChildProcess; port: number }> {
  const portsDir = join(workDir, `ports-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const confPath = join(workDir, 'nats.conf');
  const conf = [
    `listen: "127.0.0.1:${port}"`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)}${options.jetstream ? `, ${options.jetstream}` : ''} }`,
    `ports_file_dir: ${JSON.stringify(portsDir)}`,
    options.serverName ? `server_name: ${JSON.stringify(options.serverName)}` : '',
    options.config ?? '',
  ].join('\n');
  await writeFile(confPath, conf);
  await mkdir(portsDir, { recursive: true });
  const binary = options.binary ?? 'nats-server';
  const proc = spawn(binary, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new LaunchError(`"${binary}" was not found on PATH: install it (Debian/Ubuntu: apt-get install -y nats-server) or pass --nats URL of a running server`, { cause: err })
          : new LaunchError(`cannot start ${binary}: ${err.message}`, { cause: err }),
      );
    });
    proc.once('exit', (code, signal) =>
      reject(new LaunchError(`nats-server exited during start-up (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`)),
    );
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  const ready = (async () => {
    while (Date.now() < deadline) {
      const found = await readPorts(portsDir, proc.pid);
      if (found !== undefined && (await accepts(found))) return found;
      await delay(25);
    }
    throw new LaunchError(`nats-server did not accept connections within ${options.startTimeoutMs ?? 15_000} ms`);
  })();
  try {
    const actual = await Promise.race([ready, failed]);
    proc.removeAllListeners('exit');
    return { proc, port: actual };
  } catch (err) {
    // Wait for it to die, so that nothing writes in the directory the caller removes next.
    if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await exited;
    }
    throw err;
  }
}

async function readPorts(dir: string, pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const text = await readFile(join(dir, `nats-server_${pid}.ports`), 'utf8');
    const parsed = JSON.parse(text) as { nats?: string[] };
    const url = parsed.nats?.[0];
    const m = url ? /:(\d+)$/.exec(url) : null;
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function accepts(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
