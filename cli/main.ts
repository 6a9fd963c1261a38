#!/usr/bin/env node
import { access, readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { Goal } from '../proto/index.js';
import { createLogger, parseLogLevel, DEFAULT_NATS_URL } from '../common/index.js';
import { SpecError } from '../coordinator/errors.js';
import { fairnessReport, readPredictionsCsv, MetricsInputError, WorkerServer, WORKER_BACKENDS, isWorkerBackend, isDawnFlag, DEFAULT_MAX_DATA_BYTES, MAX_DATA_BYTES_LIMIT, MAX_WORKER_MEMORY_MB } from '../worker/index.js';
import { DEFAULT_MAX_TRIAL_MEMORY_MB } from '../coordinator/spec/index.js';
import { CoordinatorServer } from '../coordinator/serve.js';
import { CliError } from './cli-error.js';
import { ListenError } from '../common/index.js';
import { getMethod, methodNames } from '../catalog/index.js';
import { intArg } from './args.js';
import { ExitCode, exitCodeHelp } from './exit-codes.js';
import { frontierOfRows, parseIntervalArg, parseObjectiveArg, parseReferenceArg, parseSelectionArg, readResultsJsonl, type ObjectiveArg } from './frontier-file.js';
import { configurationFrontier, type IntervalMethod, type SelectionMethod } from '../coordinator/configurations/index.js';
import { readResultsFile } from '../coordinator/results/index.js';
import { addAnalysisCommands } from './analysis-commands.js';
import { addNatsFlags, addServerTlsFlags, natsOptionsFrom, tlsOptionsFrom, type NatsFlagValues, type TlsFlagValues } from './nats-flags.js';
import type { DisplayMode } from './progress-display.js';
import { runLocal } from './run-local.js';
import { addCommandPolicyFlags, addCommandWorkerFlags, commandOptionsFrom, commandPolicyArgs, type CommandFlagValues } from './command-flags.js';
import { addRemoteCommands } from './remote-commands.js';
import { addValidateCommand } from './validate-command.js';
import { listenHint, withNatsHint } from './hints.js';
import { checkListenable } from './listen-check.js';
import { addCredentialsCommand } from './credentials-command.js';
import { addArtifactsCommand } from './artifacts-command.js';
import { ReportError } from '../coordinator/report/index.js';

const VERSION = '0.1.0';
const MIB = 1024 * 1024;
/** --max-data-mb: the most MiB of one dataset (or predictions) file read. */
const MAX_DATA_MB_HELP = `largest file read, in MiB (default ${DEFAULT_MAX_DATA_BYTES / MIB})`;
const MAX_DATA_MB = Math.floor(MAX_DATA_BYTES_LIMIT / MIB);
/** --max-trial-memory-mb: the coordinator's limit on one trial's estimated memory. */
const MAX_TRIAL_MEMORY_HELP = `largest estimated memory of one trial accepted, in MiB (model, Adam state, activations, data; default ${DEFAULT_MAX_TRIAL_MEMORY_MB})`;

/** The catalog's methods with their summaries, for `run --help`. */
function methodsHelp(): string {
  const names = methodNames();
  const width = Math.max(...names.map((n) => n.length));
  return `\nMethods (the spec's \`method:\`):\n${names.map((n) => `  ${n.padEnd(width)}  ${getMethod(n)?.summary ?? ''}`).join('\n')}\n`;
}

function displayMode(o: { quiet?: boolean; progress?: string }): DisplayMode {
  if (o.quiet) return 'quiet';
  if (o.progress === 'bar' || o.progress === 'lines' || o.progress === 'quiet') return o.progress;
  return process.stderr.isTTY ? 'bar' : 'lines';
}

/** Blocks until SIGTERM/SIGINT, then runs `close` once; a second signal exits at once. */
function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (closing) process.exit(sig === 'SIGINT' ? 130 : 143);
      closing = true;
      void close().then(resolve, (err: unknown) => {
        process.stderr.write(`fairsweep: error during shutdown: ${String(err)}\n`);
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export function buildProgram(): Command {
  const program = new Command('fairsweep')
    .description('Distributed sweeps over NATS JetStream and gRPC, judged on accuracy and group fairness: the Pareto frontier of a sweep.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText('after', exitCodeHelp());

  addNatsFlags(
    addCommandPolicyFlags(program
      .command('run'))
      .description('run a sweep on this machine: its own nats-server, a coordinator and N worker processes')
      .argument('<spec>', 'sweep spec (YAML)')
      .option('--workers <n>', 'worker processes', intArg(1, 256), 2)
      .option('--slots <n>', 'slots per worker', intArg(1, 1024), 1)
      .option('--out <dir>', 'output directory', 'out')
      .option('--max-restarts <n>', 'restarts of crashed workers over the run', intArg(0, 1000), 10)
      .option('--ack-wait <ms>', 'shard ack deadline: a crashed worker\'s shard is redelivered after this', intArg(1000, 86_400_000), 30_000)
      .option('--data-dir <dir>', 'directory the workers read csv datasets from; spec paths are relative to it (default: the current directory)')
      .option('--max-data-mb <n>', MAX_DATA_MB_HELP, intArg(1, MAX_DATA_MB))
      .option('--max-trial-memory-mb <n>', MAX_TRIAL_MEMORY_HELP, intArg(1, MAX_WORKER_MEMORY_MB))
      .option('--progress <mode>', 'bar | lines | quiet (default: bar on a terminal)')
      .option('-q, --quiet', 'no progress display')
      .option('--json', 'print the final summary as one JSON line')
      .addHelpText('after', methodsHelp),
    false,
  ).action(async (spec: string, o: NatsFlagValues & CommandFlagValues & { workers: number; slots: number; out: string; maxRestarts: number; ackWait: number; dataDir?: string; maxDataMb?: number; maxTrialMemoryMb?: number; progress?: string; quiet?: boolean; json?: boolean }) => {
    const code = await runLocal({
      specPath: spec,
      workers: o.workers,
      slots: o.slots,
      outDir: o.out,
      ...(o.nats ? { nats: natsOptionsFrom(o, o.nats) } : {}),
      display: displayMode(o),
      json: o.json ?? false,
      maxRestarts: o.maxRestarts,
      ackWaitMs: o.ackWait,
      dataDir: o.dataDir ?? process.cwd(),
      ...(o.maxDataMb !== undefined ? { maxDataMb: o.maxDataMb } : {}),
      workerArgs: commandPolicyArgs(o),
      ...(o.maxTrialMemoryMb !== undefined ? { maxTrialMemoryMb: o.maxTrialMemoryMb } : {}),
    });
    process.exitCode = code;
  });

  addServerTlsFlags(
    addNatsFlags(
      program
        .command('coordinator')
        .description('serve the coordinator: gRPC API, Prometheus metrics, sweeps on NATS JetStream')
        .option('--grpc <host:port>', 'gRPC address (port 0 picks one)', '127.0.0.1:50051')
        .option('--metrics <host:port>', 'Prometheus /metrics address (port 0 picks one; "none" to disable)', '127.0.0.1:9464')
        .option('--replicas <n>', 'JetStream replicas of streams and bucket (3 on a cluster)', intArg(1, 5), 1)
        .option('--max-trials <n>', 'largest sweep accepted', intArg(1, 100_000_000), 100_000)
        .option('--max-trial-memory-mb <n>', MAX_TRIAL_MEMORY_HELP, intArg(1, MAX_WORKER_MEMORY_MB), DEFAULT_MAX_TRIAL_MEMORY_MB)
        .option('--ack-wait <ms>', 'shard ack deadline: silent workers lose their shard after this', intArg(1000, 86_400_000), 30_000),
      true,
    ),
  ).action(async (o: NatsFlagValues & TlsFlagValues & { grpc: string; metrics: string; replicas: number; maxTrials: number; maxTrialMemoryMb: number; ackWait: number }) => {
    const natsUrl = o.nats ?? DEFAULT_NATS_URL;
    // A taken port is said before anything else: before connecting to NATS and logging ready.
    await checkListenable(o.grpc, '--grpc', 'gRPC');
    if (o.metrics !== 'none') await checkListenable(o.metrics, '--metrics', 'metrics');
    const server = await withNatsHint(natsUrl, () => CoordinatorServer.start({
      nats: natsOptionsFrom(o, natsUrl),
      grpc: o.grpc,
      metrics: o.metrics === 'none' ? null : o.metrics,
      replicas: o.replicas,
      maxTrials: o.maxTrials,
      maxTrialMemoryMb: o.maxTrialMemoryMb,
      ackWaitMs: o.ackWait,
      tls: tlsOptionsFrom(o),
      log: createLogger({ component: 'coordinator' }, parseLogLevel(process.env.FAIRSWEEP_LOG_LEVEL)),
    }));
    process.stdout.write(`coordinator listening grpc=${server.grpcAddress} metrics=${server.metricsPort !== undefined ? `${o.metrics.split(':').slice(0, -1).join(':') || '127.0.0.1'}:${server.metricsPort}` : 'none'}\n`);
    await untilSignal(() => server.close());
  });

  addServerTlsFlags(
    addNatsFlags(
      addCommandWorkerFlags(program
        .command('worker'))
        .description('run a worker: pulls shards, runs trials, publishes results; serves gRPC Describe/Drain')
        .option('--slots <n>', 'shards run at once (default 1, or GPUs × slots-per-gpu with --gpus)', intArg(1, 1024))
        .option('--gpu <index>', 'GPU index: tries the webgpu backend (Dawn), then @tensorflow/tfjs-node-gpu, before the CPU ones', intArg(0, 1023))
        .option('--gpu-adapter <name>', "WebGPU adapter whose name contains this (e.g. H200), instead of an index; FAIRSWEEP_DAWN_FLAGS adds Dawn flags (key=value, space-separated)")
        .option('--grpc <host:port>', 'gRPC address (port 0 picks one; "none" to disable)', '127.0.0.1:0')
        .option('--metrics <host:port>', 'Prometheus /metrics address ("none" to disable)', 'none')
        .option('--backend <name>', 'auto | webgpu | tensorflow-gpu | tensorflow | wasm | cpu | none', 'auto')
        .option('--id <id>', 'worker id (default host-pid-random)')
        .option('--data-dir <dir>', 'directory csv datasets are read from, spec paths relative to it (default none: no dataset file is read)')
        .option('--max-data-mb <n>', MAX_DATA_MB_HELP, intArg(1, MAX_DATA_MB))
        .option('--memory-mb <n>', "memory this worker's trials may use together, in MiB, shared equally by its slots; a trial estimated over its share fails without retry (default: this machine's memory, or its cgroup limit)", intArg(1, MAX_WORKER_MEMORY_MB))
        .option('--drain-timeout <ms>', 'on SIGTERM, time running shards get to finish before they are handed back', intArg(0, 86_400_000), 30_000),
      true,
    ),
  ).action(async (o: NatsFlagValues & TlsFlagValues & CommandFlagValues & { slots?: number; gpu?: number; gpuAdapter?: string; grpc: string; metrics: string; backend: string; id?: string; dataDir?: string; maxDataMb?: number; memoryMb?: number; drainTimeout: number }) => {
    // The worker's environment variables are read here and nowhere else: FAIRSWEEP_BACKEND stands in for --backend auto.
    const backend = o.backend === 'auto' ? (process.env.FAIRSWEEP_BACKEND ?? 'auto') : o.backend;
    if (!isWorkerBackend(backend)) throw new CliError(`${backend === o.backend ? '--backend' : 'FAIRSWEEP_BACKEND'}: expected one of ${WORKER_BACKENDS.join(', ')}, got "${backend}"`);
    const dawnFlags = (process.env.FAIRSWEEP_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const badFlag = dawnFlags.find((f) => !isDawnFlag(f));
    if (badFlag !== undefined) throw new CliError(`FAIRSWEEP_DAWN_FLAGS: expected Dawn flags key=value separated by spaces, got "${badFlag}"`);
    const cacheMb = process.env.FAIRSWEEP_PREFIX_CACHE_MB;
    if (cacheMb && !(Number(cacheMb) > 0)) throw new CliError(`FAIRSWEEP_PREFIX_CACHE_MB: expected a positive number of MiB, got "${cacheMb}"`);
    const natsUrl = o.nats ?? DEFAULT_NATS_URL;
    if (o.grpc !== 'none') await checkListenable(o.grpc, '--grpc', 'gRPC');
    if (o.metrics !== 'none') await checkListenable(o.metrics, '--metrics', 'metrics');
    const server = await withNatsHint(natsUrl, () => WorkerServer.start({
      nats: natsOptionsFrom(o, natsUrl),
      ...(o.slots !== undefined ? { slots: o.slots } : {}),
      command: commandOptionsFrom(o),
      ...(o.gpu !== undefined ? { gpu: o.gpu } : {}),
      ...(o.gpuAdapter !== undefined ? { gpuAdapter: o.gpuAdapter } : {}),
      dawnFlags,
      ...(o.id ? { id: o.id } : {}),
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
      ...(o.maxDataMb !== undefined ? { maxDataBytes: o.maxDataMb * MIB } : {}),
      ...(o.memoryMb !== undefined ? { memoryMb: o.memoryMb } : {}),
      backend,
      prefixCache: { enabled: process.env.FAIRSWEEP_PREFIX_CACHE !== '0', ...(cacheMb ? { maxBytes: Number(cacheMb) * 1024 * 1024 } : {}) },
      grpc: o.grpc === 'none' ? null : o.grpc,
      metrics: o.metrics === 'none' ? null : o.metrics,
      tls: tlsOptionsFrom(o),
      drainTimeoutMs: o.drainTimeout,
      log: createLogger({ component: 'worker' }, parseLogLevel(process.env.FAIRSWEEP_LOG_LEVEL)),
    }));
    const w = server.worker;
    process.stdout.write(`worker ${w.id} running backend=${w.backendName}${w.device ? ` device="${w.device}"` : ''} slots=${w.slots} grpc=${server.grpcPort ?? 'none'} metrics=${server.metricsPort ?? 'none'} data-dir=${w.dataRoot?.dir ?? 'none'}\n`);
    await Promise.race([untilSignal(() => server.close()), server.closed]);
  });

  addRemoteCommands(program);
  addValidateCommand(program);
  addCredentialsCommand(program);
  addArtifactsCommand(program);
  addAnalysisCommands(program);

  program
    .command('frontier')
    .description('Pareto frontier of a results.jsonl file, as JSON (of a sweep on a coordinator: frontier-of)')
    .argument('<results>', 'results.jsonl')
    .option('--objective <metric:goal...>', 'objective, e.g. test/accuracy:max or test/accuracy:max:worst (aggregate over seeds: mean, median, worst, best; default mean); repeat for each; required', (v: string, prev: ObjectiveArg[] = []) => [...prev, parseObjectiveArg(v)])
    .option('--reference <values>', 'hypervolume reference point, comma-separated (2 objectives)')
    .option('--selection <method>', 'rank on training-domain validation (trainval/), leave-one-domain-out or oracle (test) metrics', parseSelectionArg)
    .option('--interval <method>', 'confidence interval over seeds: t or bootstrap', parseIntervalArg, 't')
    .option('--per-trial', 'one point per trial (configuration and seed) instead of per configuration')
    .addOption(new Option('--coordinator <host:port>').hideHelp())
    .action(async (path: string, o: { objective?: ObjectiveArg[]; reference?: string; coordinator?: string; selection?: SelectionMethod; interval: IntervalMethod; perTrial?: boolean }) => {
      if (o.coordinator !== undefined) {
        throw new CliError(`fairsweep frontier reads a results.jsonl file; for the frontier of sweep ${path} on a coordinator run \`fairsweep frontier-of ${path} --coordinator ${o.coordinator}\``);
      }
      if (!(await access(path).then(() => true, () => false))) {
        throw new CliError(`${path}: no such file; fairsweep frontier reads a results.jsonl file (for a sweep on a coordinator: \`fairsweep frontier-of ${path} --coordinator HOST:PORT\`)`);
      }
      if (!o.objective?.length) throw new CliError('frontier: --objective METRIC:max|min is required (repeat it for each objective), e.g. --objective test/accuracy:max');
      const ref = o.reference !== undefined ? parseReferenceArg(o.reference, o.objective.length) : undefined;
      if (o.perTrial) {
        process.stdout.write(`${JSON.stringify(frontierOfRows(await readResultsJsonl(path), o.objective, ref), null, 2)}\n`);
        return;
      }
      const doc = configurationFrontier(await readResultsFile(path), o.objective, { interval: o.interval, ...(o.selection ? { selection: o.selection } : {}), ...(ref ? { reference: ref } : {}) });
      if (doc.missing_metrics.length > 0) process.stderr.write(`fairsweep: warning: no ok trial in ${path} reports ${doc.missing_metrics.join(', ')}${o.selection === 'training-domain' ? ' (results from before trials reported trainval/ metrics?)' : o.selection === 'leave-one-domain-out' ? ' (trials report lodo/ metrics only in a sweep whose spec says selection: leave-one-domain-out)' : ''}\n`);
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    });

  program
    .command('metrics')
    .description('fairness metrics of a predictions CSV (y_true,y_pred,group[,y_score]) as JSON')
    .argument('<predictions>', 'CSV file')
    .option('--bins <n>', 'ECE bins', intArg(1, 10_000), 15)
    .option('--max-data-mb <n>', MAX_DATA_MB_HELP, intArg(1, MAX_DATA_MB))
    .action((path: string, o: { bins: number; maxDataMb?: number }) => {
      const columns = readPredictionsCsv(path, (o.maxDataMb ?? DEFAULT_MAX_DATA_BYTES / MIB) * MIB);
      process.stdout.write(`${JSON.stringify(fairnessReport(columns, { bins: o.bins }), null, 2)}\n`);
    });

  return program;
}

/** Errors the JavaScript engine raises (and a bare `Error`): thrown by a mistake in the code, not on purpose. */
const ENGINE_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError']);

/**
 * An error raised on purpose for a condition the user can act on: one of the typed errors that
 * fairsweep and its libraries throw (a class with its own `name`: SpecError, ListenError,
 * LaunchError, ...), or a system call's failure (ENOENT, EACCES...). A bare Error or an engine
 * error (TypeError...) is a bug.
 */
function isKnownError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if ('syscall' in err && 'code' in err && typeof err.code === 'string') return true;
  return !ENGINE_ERRORS.has(err.name);
}

/**
 * What the CLI prints for an error, and its exit code. A known error is one line (a stack trace
 * only with FAIRSWEEP_DEBUG=1), exit 1 (or a CliError's own code); anything else is a bug: its
 * stack trace, exit 70. Usage errors, which commander has printed already, exit 2 and print nothing.
 */
export function describeError(err: unknown, debug = Boolean(process.env.FAIRSWEEP_DEBUG)): { code: number; text: string } {
  if (err instanceof CommanderError) return { code: err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage, text: '' };
  if (isKnownError(err)) {
    const msg = err instanceof SpecError ? `invalid spec: ${err.message}` : err instanceof ListenError ? listenHint(err) : err.message;
    const text = `fairsweep: error: ${msg.split('\n')[0]}\n${debug ? `${err.stack ?? ''}\n` : ''}`;
    return { code: err instanceof CliError ? err.exitCode : ExitCode.Error, text };
  }
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  return { code: ExitCode.Internal, text: `fairsweep: internal error (a bug: please report it with the command that caused it):\n${detail}\n` };
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const { code, text } = describeError(err);
    process.stderr.write(text);
    return code;
  }
}

const entry = process.argv[1] ? new URL(`file://${process.argv[1]}`).href : '';
if (import.meta.url === entry || process.argv[1]?.endsWith('/fairsweep')) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`fairsweep: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = ExitCode.Internal;
  });
}

export { Goal };
