import { statSync } from 'node:fs';
import { hostname, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger, type GrpcTlsOptions, type Logger, type NatsClientOptions } from '../../common/index.js';
import { BACKEND_NAMES } from '../backend-types.js';
import { WorkerOptionError } from '../errors.js';
import { DEFAULT_PREFIX_CACHE_BYTES } from '../methods/prefix-cache.js';
import { DEFAULT_MAX_DATA_BYTES, MAX_DATA_BYTES_LIMIT } from '../regular-file.js';
import { compileCommandOptions, type CommandOptions, type CompiledCommandOptions } from '../methods/command/command-options.js';

export { DEFAULT_MAX_DATA_BYTES, MAX_DATA_BYTES_LIMIT } from '../regular-file.js';

/** Shards a worker runs at once by default: one trial at a time per GPU. */
export const DEFAULT_SLOTS = 1;
/** Most slots a worker may have. */
export const MAX_SLOTS = 1024;
/** What WorkerOptions.backend accepts: auto (the best available), a backend, or none (load on demand). */
export const WORKER_BACKENDS = ['auto', ...BACKEND_NAMES, 'none'] as const;
export type WorkerBackend = (typeof WORKER_BACKENDS)[number];
/** Which backend a worker loads by default: the best available. */
export const DEFAULT_BACKEND: WorkerBackend = 'auto';

export function isWorkerBackend(value: unknown): value is WorkerBackend {
  return WORKER_BACKENDS.some((b) => b === value);
}
/** How often a worker announces itself (WorkerInfo on the heartbeat subject) by default. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
/**
 * Prefetch only while this worker's shards take less than this (moving average), by default. A
 * held shard saves one fetch round trip (milliseconds), which matters for short shards; for long
 * ones it saves nothing and may leave another worker idle for a whole shard (two 6-minute trials,
 * two workers).
 */
export const DEFAULT_PREFETCH_MAX_SHARD_MS = 1_000;
/** How long a drain lets running shards finish before handing them back, by default. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

const MIB = 1024 * 1024;
/**
 * Memory a worker's trials may use together by default, in MiB: this machine's memory, or the
 * memory limit of the process's cgroup (a container's limit) when that is lower.
 */
export function defaultWorkerMemoryMb(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const bytes = limit > 0 && limit < totalmem() ? limit : totalmem();
  return Math.max(1, Math.floor(bytes / MIB));
}
/** Largest --memory-mb accepted: 1 PiB. */
export const MAX_WORKER_MEMORY_MB = 1024 ** 3;

/** Settings of the cache of expensive trial prefixes (a base model, subgroup fine-tunes). */
export interface PrefixCacheOptions {
  /** Off: every trial computes its own prefix. Default true. */
  enabled?: boolean;
  /** Bound of the cached parameters, in bytes. Default DEFAULT_PREFIX_CACHE_BYTES (256 MiB). */
  maxBytes?: number;
}

export interface WorkerOptions {
  nats: NatsClientOptions;
  /** Shards run at once, 1 to MAX_SLOTS. Default DEFAULT_SLOTS. */
  slots?: number;
  /** GPU index: the GPU backends (webgpu, then tfjs-node-gpu) are tried first. Default none. */
  gpu?: number;
  /** A substring of the WebGPU adapter's name to use (instead of, or with, `gpu`). Default none. */
  gpuAdapter?: string;
  /** Extra Dawn flags for the webgpu backend, `key=value` each. Default none. */
  dawnFlags?: readonly string[];
  /** Worker id; default HOST-PID-RANDOM. */
  id?: string;
  /** Forces a backend, or 'none' to load none until a trial needs one. Default 'auto': best available. */
  backend?: WorkerBackend;
  /** Address reported in heartbeats for the worker's gRPC server. Default none (''). */
  grpcAddress?: string;
  /** Period of the worker's own heartbeat (not the shards' ack heartbeats). Default DEFAULT_HEARTBEAT_INTERVAL_MS. */
  heartbeatIntervalMs?: number;
  /** Shards are fetched ahead only while they take less than this on average. Default DEFAULT_PREFETCH_MAX_SHARD_MS. */
  prefetchMaxShardMs?: number;
  prefixCache?: PrefixCacheOptions;
  /**
   * The directory dataset files (`csv`) are read from: a spec's path is relative to it, and nothing
   * outside it is read (no absolute paths, no `..` or symbolic link leading out). Must exist.
   * Default none: the worker reads no dataset file, and a csv trial fails saying so.
   */
  dataDir?: string;
  /** Most bytes of one dataset file the worker reads; larger files are refused. Default DEFAULT_MAX_DATA_BYTES (256 MiB). */
  maxDataBytes?: number;
  /** Command trials (method `command`): refused unless `command.allow`; GPUs, work dir, artifact caps. */
  command?: CommandOptions;
  /**
   * Memory this worker's trials may use together, in MiB; each slot gets an equal share, and a
   * trial whose estimated memory (the catalog's estimate: model, Adam state, activations of the full
   * batch, data) is over that share fails before its model is built, without being retried.
   * Default defaultWorkerMemoryMb(): this machine's memory, or its cgroup's limit when lower.
   */
  memoryMb?: number;
  /** Default: logs nothing. */
  log?: Logger;
}

/** A worker with its gRPC WorkerService (+ health) and /metrics endpoint. */
export interface WorkerServerOptions extends WorkerOptions {
  /** gRPC HOST:PORT, or null for none. */
  grpc: string | null;
  /** Prometheus HOST:PORT, or null for none. */
  metrics: string | null;
  tls?: GrpcTlsOptions;
  /** How long a drain lets running shards finish before handing them back. Default DEFAULT_DRAIN_TIMEOUT_MS. */
  drainTimeoutMs?: number;
}

/** WorkerOptions with every default filled in and every value checked. */
export type CompiledWorkerOptions = Readonly<
  Required<Omit<WorkerOptions, 'gpu' | 'gpuAdapter' | 'prefixCache' | 'dataDir' | 'command'>> & {
    command: CompiledCommandOptions;
    /** undefined: no GPU asked for. */
    gpu: number | undefined;
    /** undefined: no adapter name asked for. */
    gpuAdapter: string | undefined;
    /** Absolute; undefined: no data directory, no dataset file is read. */
    dataDir: string | undefined;
    prefixCache: Readonly<Required<PrefixCacheOptions>>;
  }
>;

export type CompiledWorkerServerOptions = CompiledWorkerOptions &
  Readonly<Required<Omit<WorkerServerOptions, keyof WorkerOptions | 'tls'>> & { tls: GrpcTlsOptions | undefined }>;

/**
 * Fills in the defaults of worker options and checks every value once, at start, throwing a
 * WorkerOptionError that names the bad option. Nothing downstream defaults or re-checks them.
 */
export function compileWorkerOptions(options: WorkerOptions): CompiledWorkerOptions {
  const servers = options.nats?.servers;
  if (servers === undefined || servers.length === 0) throw new WorkerOptionError('nats.servers', 'expected at least one NATS server URL');
  const backend = options.backend ?? DEFAULT_BACKEND;
  if (!isWorkerBackend(backend)) throw new WorkerOptionError('backend', `expected one of ${WORKER_BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`);
  if (options.id !== undefined && options.id.trim() === '') throw new WorkerOptionError('id', 'expected a non-empty worker id');
  const enabled = options.prefixCache?.enabled ?? true;
  if (typeof enabled !== 'boolean') throw new WorkerOptionError('prefixCache.enabled', `expected true or false, got ${JSON.stringify(enabled)}`);
  const command = compileCommandOptions(options.command);
  return Object.freeze({
    nats: options.nats,
    // With GPUs for command trials, by default a slot per GPU and slots-per-GPU.
    slots: integer('slots', options.slots ?? (command.gpus.length > 0 ? command.gpus.length * command.slotsPerGpu : DEFAULT_SLOTS), 1, MAX_SLOTS),
    command,
    gpu: options.gpu === undefined ? undefined : integer('gpu', options.gpu, 0, 1023),
    gpuAdapter: options.gpuAdapter === undefined ? undefined : nonEmpty('gpuAdapter', options.gpuAdapter),
    dawnFlags: Object.freeze((options.dawnFlags ?? []).map((f, i) => dawnFlag(`dawnFlags[${i}]`, f))),
    id: options.id ?? defaultWorkerId(),
    backend,
    grpcAddress: options.grpcAddress ?? '',
    heartbeatIntervalMs: integer('heartbeatIntervalMs', options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS, 10, 3_600_000),
    prefetchMaxShardMs: integer('prefetchMaxShardMs', options.prefetchMaxShardMs ?? DEFAULT_PREFETCH_MAX_SHARD_MS, 0, 86_400_000),
    prefixCache: Object.freeze({ enabled, maxBytes: positive('prefixCache.maxBytes', options.prefixCache?.maxBytes ?? DEFAULT_PREFIX_CACHE_BYTES) }),
    dataDir: options.dataDir === undefined ? undefined : directory('dataDir', options.dataDir),
    maxDataBytes: integer('maxDataBytes', options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES, 1, MAX_DATA_BYTES_LIMIT),
    memoryMb: integer('memoryMb', options.memoryMb ?? defaultWorkerMemoryMb(), 1, MAX_WORKER_MEMORY_MB),
    log: options.log ?? silentLogger,
  });
}

/** compileWorkerOptions, plus the server's own options. */
export function compileWorkerServerOptions(options: WorkerServerOptions): CompiledWorkerServerOptions {
  return Object.freeze({
    ...compileWorkerOptions(options),
    grpc: address('grpc', options.grpc),
    metrics: address('metrics', options.metrics),
    tls: options.tls,
    drainTimeoutMs: integer('drainTimeoutMs', options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS, 0, 86_400_000),
  });
}

function nonEmpty(name: string, value: string): string {
  if (value.trim() === '') throw new WorkerOptionError(name, 'expected a non-empty string');
  return value;
}

/** Whether `value` is a Dawn flag, `key=value` (dawn.node refuses anything else, at its first use). */
export function isDawnFlag(value: string): boolean {
  return /^[a-z][a-z0-9_-]*=./i.test(value);
}

function dawnFlag(name: string, value: string): string {
  if (!isDawnFlag(value)) throw new WorkerOptionError(name, `expected a Dawn flag key=value (e.g. backend=vulkan), got ${JSON.stringify(value)}`);
  return value;
}

function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

function integer(option: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new WorkerOptionError(option, `expected an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function positive(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new WorkerOptionError(option, `expected a positive number, got ${value}`);
  return value;
}

/** `value` as an absolute path, once it is known to name a directory. */
function directory(option: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new WorkerOptionError(option, 'expected the path of a directory');
  const path = resolve(value);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    throw new WorkerOptionError(option, `cannot use ${path} (${code})`);
  }
  if (!isDirectory) throw new WorkerOptionError(option, `${path} is not a directory`);
  return path;
}

function address(option: string, value: string | null): string | null {
  if (value !== null && value.trim() === '') throw new WorkerOptionError(option, 'expected HOST:PORT or null for none');
  return value;
}
