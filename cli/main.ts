#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError as CommanderArgError } from 'commander';
import { Goal } from '../proto/index.js';
import { createLogger, parseLogLevel, DEFAULT_NATS_URL } from '../common/index.js';
import { SpecError } from '../coordinator/errors.js';
import { fairnessReport, parsePredictionsCsv, MetricsInputError, WorkerServer, WORKER_BACKENDS, isWorkerBackend } from '../worker/index.js';
import { CoordinatorServer } from '../coordinator/serve.js';
import { CliError } from './cli-error.js';
import { frontierOfRows, parseObjectiveArg, parseReferenceArg, readResultsJsonl, type ObjectiveArg } from './frontier-file.js';
import { addNatsFlags, addTlsFlags, natsOptionsFrom, tlsOptionsFrom, type NatsFlagValues, type TlsFlagValues } from './nats-flags.js';
import type { DisplayMode } from './progress-display.js';
import { runLocal } from './run-local.js';
import { addRemoteCommands } from './remote-commands.js';
import { addCredentialsCommand } from './credentials-command.js';
import { withNatsHint } from './hints.js';
import { ReportError } from '../coordinator/report/index.js';

const VERSION = '0.1.0';

function intArg(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new CommanderArgError(`expected an integer from ${min} to ${max}`);
    return n;
  };
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
    .exitOverride();

  addNatsFlags(
    program
      .command('run')
      .description('run a sweep on this machine: its own nats-server, a coordinator and N worker processes')
      .argument('<spec>', 'sweep spec (YAML)')
      .option('--workers <n>', 'worker processes', intArg(1, 256), 2)
      .option('--slots <n>', 'slots per worker', intArg(1, 1024), 1)
      .option('--out <dir>', 'output directory', 'out')
      .option('--max-restarts <n>', 'restarts of crashed workers over the run', intArg(0, 1000), 10)
      .option('--ack-wait <ms>', 'shard ack deadline: a crashed worker\'s shard is redelivered after this', intArg(1000, 86_400_000), 30_000)
      .option('--progress <mode>', 'bar | lines | quiet (default: bar on a terminal)')
      .option('-q, --quiet', 'no progress display')
      .option('--json', 'print the final summary as one JSON line'),
    false,
  ).action(async (spec: string, o: NatsFlagValues & { workers: number; slots: number; out: string; maxRestarts: number; ackWait: number; progress?: string; quiet?: boolean; json?: boolean }) => {
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
    });
    process.exitCode = code;
  });

  addTlsFlags(
    addNatsFlags(
      program
        .command('coordinator')
        .description('serve the coordinator: gRPC API, Prometheus metrics, sweeps on NATS JetStream')
        .option('--grpc <host:port>', 'gRPC address (port 0 picks one)', '127.0.0.1:50051')
        .option('--metrics <host:port>', 'Prometheus /metrics address (port 0 picks one; "none" to disable)', '127.0.0.1:9464')
        .option('--replicas <n>', 'JetStream replicas of streams and bucket (3 on a cluster)', intArg(1, 5), 1)
        .option('--max-trials <n>', 'largest sweep accepted', intArg(1, 100_000_000), 100_000)
        .option('--ack-wait <ms>', 'shard ack deadline: silent workers lose their shard after this', intArg(1000, 86_400_000), 30_000),
      true,
    ),
  ).action(async (o: NatsFlagValues & TlsFlagValues & { grpc: string; metrics: string; replicas: number; maxTrials: number; ackWait: number }) => {
    const natsUrl = o.nats ?? DEFAULT_NATS_URL;
    const server = await withNatsHint(natsUrl, () => CoordinatorServer.start({
      nats: natsOptionsFrom(o, natsUrl),
      grpc: o.grpc,
      metrics: o.metrics === 'none' ? null : o.metrics,
      replicas: o.replicas,
      maxTrials: o.maxTrials,
      ackWaitMs: o.ackWait,
      tls: tlsOptionsFrom(o),
      log: createLogger({ component: 'coordinator' }, parseLogLevel(process.env.FAIRSWEEP_LOG_LEVEL)),
    }));
    process.stdout.write(`coordinator listening grpc=${server.grpcAddress} metrics=${server.metricsPort !== undefined ? `${o.metrics.split(':').slice(0, -1).join(':') || '127.0.0.1'}:${server.metricsPort}` : 'none'}\n`);
    await untilSignal(() => server.close());
  });

  addTlsFlags(
    addNatsFlags(
      program
        .command('worker')
        .description('run a worker: pulls shards, runs trials, publishes results; serves gRPC Describe/Drain')
        .option('--slots <n>', 'shards run at once', intArg(1, 1024), 1)
        .option('--gpu <index>', 'GPU index (uses @tensorflow/tfjs-node-gpu when installed)', intArg(0, 1023))
        .option('--grpc <host:port>', 'gRPC address (port 0 picks one; "none" to disable)', '127.0.0.1:0')
        .option('--metrics <host:port>', 'Prometheus /metrics address ("none" to disable)', 'none')
        .option('--backend <name>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu | none', 'auto')
        .option('--id <id>', 'worker id (default host-pid-random)')
        .option('--drain-timeout <ms>', 'on SIGTERM, time running shards get to finish before they are handed back', intArg(0, 86_400_000), 30_000),
      true,
    ),
  ).action(async (o: NatsFlagValues & TlsFlagValues & { slots: number; gpu?: number; grpc: string; metrics: string; backend: string; id?: string; drainTimeout: number }) => {
    // The worker's environment variables are read here and nowhere else: FAIRSWEEP_BACKEND stands in for --backend auto.
    const backend = o.backend === 'auto' ? (process.env.FAIRSWEEP_BACKEND ?? 'auto') : o.backend;
    if (!isWorkerBackend(backend)) throw new CliError(`${backend === o.backend ? '--backend' : 'FAIRSWEEP_BACKEND'}: expected one of ${WORKER_BACKENDS.join(', ')}, got "${backend}"`);
    const cacheMb = process.env.FAIRSWEEP_PREFIX_CACHE_MB;
    if (cacheMb && !(Number(cacheMb) > 0)) throw new CliError(`FAIRSWEEP_PREFIX_CACHE_MB: expected a positive number of MiB, got "${cacheMb}"`);
    const natsUrl = o.nats ?? DEFAULT_NATS_URL;
    const server = await withNatsHint(natsUrl, () => WorkerServer.start({
      nats: natsOptionsFrom(o, natsUrl),
      slots: o.slots,
      ...(o.gpu !== undefined ? { gpu: o.gpu } : {}),
      ...(o.id ? { id: o.id } : {}),
      backend,
      prefixCache: { enabled: process.env.FAIRSWEEP_PREFIX_CACHE !== '0', ...(cacheMb ? { maxBytes: Number(cacheMb) * 1024 * 1024 } : {}) },
      grpc: o.grpc === 'none' ? null : o.grpc,
      metrics: o.metrics === 'none' ? null : o.metrics,
      tls: tlsOptionsFrom(o),
      drainTimeoutMs: o.drainTimeout,
      log: createLogger({ component: 'worker' }, parseLogLevel(process.env.FAIRSWEEP_LOG_LEVEL)),
    }));
    const w = server.worker;
    process.stdout.write(`worker ${w.id} running backend=${w.backendName} slots=${w.slots} grpc=${server.grpcPort ?? 'none'} metrics=${server.metricsPort ?? 'none'}\n`);
    await Promise.race([untilSignal(() => server.close()), server.closed]);
  });

  addRemoteCommands(program);
  addCredentialsCommand(program);

  program
    .command('frontier')
    .description('Pareto frontier of a results.jsonl file, as JSON')
    .argument('<results>', 'results.jsonl')
    .requiredOption('--objective <metric:goal...>', 'objective, e.g. test/accuracy:max (repeat for each)', (v: string, prev: ObjectiveArg[] = []) => [...prev, parseObjectiveArg(v)])
    .option('--reference <values>', 'hypervolume reference point, comma-separated (2 objectives)')
    .action(async (path: string, o: { objective: ObjectiveArg[]; reference?: string }) => {
      const rows = await readResultsJsonl(path);
      const ref = o.reference !== undefined ? parseReferenceArg(o.reference, o.objective.length) : undefined;
      process.stdout.write(`${JSON.stringify(frontierOfRows(rows, o.objective, ref), null, 2)}\n`);
    });

  program
    .command('metrics')
    .description('fairness metrics of a predictions CSV (y_true,y_pred,group[,y_score]) as JSON')
    .argument('<predictions>', 'CSV file')
    .option('--bins <n>', 'ECE bins', intArg(1, 10_000), 15)
    .action(async (path: string, o: { bins: number }) => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        throw new CliError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      process.stdout.write(`${JSON.stringify(fairnessReport(parsePredictionsCsv(text, path), { bins: o.bins }), null, 2)}\n`);
    });

  return program;
}

/** One line for the user; a stack trace only with FAIRSWEEP_DEBUG=1. */
function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  const known = err instanceof CliError || err instanceof SpecError || err instanceof MetricsInputError || err instanceof ReportError || (err instanceof Error && ['LaunchError', 'RangeError', 'TypeError', 'DatasetError'].includes(err.name));
  const msg = err instanceof SpecError ? `invalid spec: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`fairsweep: error: ${msg.split('\n')[0]}\n`);
  if (process.env.FAIRSWEEP_DEBUG && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
  return err instanceof CliError ? err.exitCode : known ? 1 : 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

const entry = process.argv[1] ? new URL(`file://${process.argv[1]}`).href : '';
if (import.meta.url === entry || process.argv[1]?.endsWith('/fairsweep')) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`fairsweep: error: ${String(err)}\n`);
    process.exitCode = 1;
  });
}

export { Goal };
