import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SweepState, type Progress } from '../proto/index.js';
import { createLogger, type NatsClientOptions } from '../common/index.js';
import { NatsServer } from '../common/nats-server.js';
import { CoordinatorServer } from '../coordinator/serve.js';
import { readSpecFile, validateSpecFile } from './args.js';
import { CliError } from './cli-error.js';
import { ProgressDisplay, type DisplayMode } from './progress-display.js';
import { toFrontierDocument, toResultRow } from './result-format.js';
import { formatSummary } from './summary.js';
import { ExitCode, sweepExitCode } from './exit-codes.js';
import { failureGroups } from './failure-digest.js';
import { writeReport } from '../coordinator/report/index.js';
import { fetchRunArtifacts } from './run-artifacts.js';
import { configurationFrontier } from '../coordinator/configurations/index.js';

export interface LocalRunOptions {
  specPath: string;
  workers: number;
  slots: number;
  outDir: string;
  /** A running NATS to use; when absent a nats-server is started for this run. */
  nats?: NatsClientOptions;
  display: DisplayMode;
  /** Print the final summary as JSON instead of text. */
  json: boolean;
  /** Times a crashed worker process is restarted, over the whole run. */
  maxRestarts: number;
  /** Shard ack deadline (how soon a crashed worker's shard is redelivered). */
  ackWaitMs?: number;
  /** The workers' data directory (csv dataset paths are relative to it); `fairsweep run` gives the current directory. */
  dataDir: string;
  /** The most MiB of one dataset file the workers read; default theirs. */
  maxDataMb?: number;
  /** More arguments for every worker started (--allow-command, --allow-executable). */
  workerArgs?: readonly string[];
  /** The coordinator's limit on one trial's estimated memory, in MiB; default DEFAULT_MAX_TRIAL_MEMORY_MB. */
  maxTrialMemoryMb?: number;
}

const CLI_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url));

/**
 * `fairsweep run`: a whole sweep on this machine — its own nats-server (unless --nats), a
 * coordinator in this process and N worker processes (restarted if they crash) — then
 * results.jsonl, frontier.json and summary.txt in the output directory.
 */
export async function runLocal(o: LocalRunOptions): Promise<number> {
  const specText = await readSpecFile(o.specPath);
  const spec = validateSpecFile(o.specPath, specText, o.maxTrialMemoryMb !== undefined ? { maxTrialMemoryMb: o.maxTrialMemoryMb } : {}); // fail on a bad spec before starting anything
  for (const w of spec.warnings) process.stderr.write(`fairsweep: warning: ${w}\n`);
  const dataDir = resolve(o.dataDir);
  if (!(await stat(dataDir).then((s) => s.isDirectory(), () => false))) throw new CliError(`--data-dir: ${dataDir} is not a directory`);
  const outDir = resolve(o.outDir);
  await mkdir(join(outDir, 'logs'), { recursive: true });
  const logFile = createWriteStream(join(outDir, 'logs', 'coordinator.log'));
  const log = createLogger({ component: 'coordinator' }, 'info', (line) => logFile.write(line));

  const nats = o.nats ? undefined : await NatsServer.start();
  const natsOptions = o.nats ?? { servers: nats!.url };
  const children = new Set<ChildProcess>();
  let stopping = false;
  let restarts = 0;
  let sweepId = '';
  let server: CoordinatorServer | undefined;
  const display = new ProgressDisplay(o.display);
  const started = Date.now();
  const cleanup = async (): Promise<void> => {
    stopping = true;
    display.stop();
    await Promise.all([...children].map((c) => new Promise<void>((res) => {
      if (c.exitCode !== null || c.signalCode !== null) return res();
      c.once('exit', () => res());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
    })));
    await server?.close();
    await nats?.stop();
    logFile.end();
  };

  try {
    server = await CoordinatorServer.start({ nats: natsOptions, grpc: '127.0.0.1:0', metrics: null, log, ...(o.ackWaitMs ? { ackWaitMs: o.ackWaitMs } : {}), ...(o.maxTrialMemoryMb !== undefined ? { maxTrialMemoryMb: o.maxTrialMemoryMb } : {}) });
    if (o.display !== 'quiet') process.stderr.write(`fairsweep: coordinator at ${server.grpcAddress}, NATS at ${nats ? nats.url : 'the given --nats'}, ${o.workers} worker(s); logs in ${join(outDir, 'logs')}\n`);
    const natsArgs = natsArgsFor(natsOptions);
    const dataArgs = ['--data-dir', dataDir, ...(o.maxDataMb !== undefined ? ['--max-data-mb', String(o.maxDataMb)] : [])];
    const spawnWorker = (n: number): void => {
      const out = createWriteStream(join(outDir, 'logs', `worker-${n}.log`), { flags: 'a' });
      const child = spawn(process.execPath, [CLI_ENTRY, 'worker', ...natsArgs, ...dataArgs, '--slots', String(o.slots), ...(o.workerArgs ?? []), '--id', `local-${n}-${process.pid}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...secretEnv(natsOptions) },
      });
      child.stdout?.pipe(out, { end: false });
      child.stderr?.pipe(out, { end: false });
      children.add(child);
      child.once('exit', (code, signal) => {
        children.delete(child);
        out.end();
        if (stopping) return;
        if (restarts < o.maxRestarts) {
          restarts++;
          process.stderr.write(`fairsweep: worker ${n} exited (${signal ?? `code ${code}`}); restarting it (${restarts}/${o.maxRestarts})\n`);
          spawnWorker(n);
        } else if (children.size === 0) {
          process.stderr.write(`fairsweep: every worker has exited and the restart limit (${o.maxRestarts}) is reached; cancelling the sweep; see ${join(outDir, 'logs')}\n`);
          if (sweepId) void server?.coordinator.cancel(sweepId).catch(() => undefined);
        }
      });
    };
    for (let i = 0; i < o.workers; i++) spawnWorker(i);

    const coordinator = server.coordinator;
    ({ sweepId } = await coordinator.submit(specText));
    const agg = coordinator.sweep(sweepId);
    const end = new Promise<Progress>((res) => {
      if (agg.finished) res(agg.progress());
      agg.once('end', res);
    });
    // Ctrl-C, `kill` and a closed terminal all cancel the sweep and end the worker processes and
    // nats-server this command started (left running, they would outlive it).
    const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    let interrupted = false;
    const onSigint = (signal: NodeJS.Signals): void => {
      interrupted = true;
      process.stderr.write(`\nfairsweep: ${signal === 'SIGINT' ? 'interrupted' : `got ${signal}`}; cancelling the sweep (results so far are kept)\n`);
      void coordinator.cancel(sweepId).catch(() => undefined);
    };
    for (const s of STOP_SIGNALS) process.once(s, onSigint);
    const tick = setInterval(() => display.update(agg.progress()), 250);
    agg.on('trial-progress', (ev) => display.trialProgress(ev));
    const final = await end;
    clearInterval(tick);
    for (const s of STOP_SIGNALS) process.off(s, onSigint);
    display.update(final);
    display.stop();

    const rows = coordinator.results(sweepId).map(toResultRow);
    const frontier = toFrontierDocument(coordinator.frontier(sweepId));
    const configurations = configurationFrontier(rows, spec.objectives, spec.selection ? { selection: spec.selection } : {});
    await writeFile(join(outDir, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
    await writeFile(join(outDir, 'frontier.json'), `${JSON.stringify({ sweep_id: sweepId, ...configurations }, null, 2)}\n`);
    await writeFile(join(outDir, 'frontier-trials.json'), `${JSON.stringify({ sweep_id: sweepId, ...frontier }, null, 2)}\n`);
    await writeFile(join(outDir, 'spec.yaml'), specText);
    const state = SweepState[final.state].replace('SWEEP_STATE_', '').toLowerCase();
    const summary = formatSummary(sweepId, state, rows, frontier, (Date.now() - started) / 1000, configurations, spec.warnings);
    await writeFile(join(outDir, 'summary.txt'), summary);
    // The results are written already: a report that cannot be built is a warning, not a failed run.
    const artifacts = spec.method === 'command' ? await fetchRunArtifacts(natsOptions, sweepId, outDir) : new Map<string, string[]>();
    const trials = rows.map((r) => ({ ...r, artifacts: artifacts.get(r.trial_id) ?? [] }));
    const report = await writeReport(join(outDir, 'report.html'), { sweepId, name: spec.name, specYaml: specText, trials, frontier, objectives: spec.objectives, ...(spec.selection ? { selection: spec.selection } : {}) }).catch((err: unknown) => {
      process.stderr.write(`fairsweep: warning: report.html not written: ${err instanceof Error ? err.message : String(err)}\n`);
      return null;
    });
    const code = interrupted ? ExitCode.Interrupted : sweepExitCode(final);
    if (o.json) {
      const failures = failureGroups(rows);
      process.stdout.write(`${JSON.stringify({ sweep_id: sweepId, state, total: final.total, ok: final.ok, failed: final.failed, pruned: final.pruned ?? 0, frontier_size: configurations.frontier.length, hypervolume: configurations.hypervolume, trial_frontier_size: frontier.frontier.length, out: outDir, report, failures, exit_code: code })}\n`);
    } else process.stdout.write(`${summary}\nwrote ${join(outDir, 'results.jsonl')}, frontier.json, summary.txt${report ? ', report.html' : ''}, frontier-trials.json\n`);
    return code;
  } finally {
    await cleanup();
  }
}

/** Worker flags that reach the same NATS; secrets travel in the environment, not in argv. */
function natsArgsFor(n: NatsClientOptions): string[] {
  const servers = Array.isArray(n.servers) ? n.servers.join(',') : n.servers;
  const args = ['--nats', servers];
  if (n.credsFile) args.push('--nats-creds', n.credsFile);
  if (n.nkeySeedFile) args.push('--nats-nkey', n.nkeySeedFile);
  if (n.tls?.caFile) args.push('--nats-ca', n.tls.caFile);
  if (n.tls?.certFile) args.push('--nats-cert', n.tls.certFile);
  if (n.tls?.keyFile) args.push('--nats-key', n.tls.keyFile);
  return args;
}

function secretEnv(n: NatsClientOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (n.user !== undefined) env.FAIRSWEEP_NATS_USER = n.user;
  if (n.pass !== undefined) env.FAIRSWEEP_NATS_PASSWORD = n.pass;
  if (n.token !== undefined) env.FAIRSWEEP_NATS_TOKEN = n.token;
  return env;
}
