import { silentLogger, type Logger, type NatsClientOptions } from '../common/index.js';
import { InvalidOptionError } from './errors.js';
import { DEFAULT_ACK_WAIT_MS } from './queue/dispatcher.js';
import { DEFAULT_MAX_TRIALS, DEFAULT_MAX_TRIAL_MEMORY_MB } from './spec/index.js';

/** JetStream replicas of the streams and the sweeps bucket: 1 on a single server. */
export const DEFAULT_REPLICAS = 1;
/** JetStream allows at most this many replicas. */
export const MAX_REPLICAS = 5;
/** Period of the queue-depth / stalled-reader / exhausted-shard check. */
export const DEFAULT_RECONCILE_INTERVAL_MS = 5_000;
/** Shortest shard ack deadline accepted: below it, a busy worker's heartbeat cannot keep its shard. */
export const MIN_ACK_WAIT_MS = 100;
/** Shortest reconcile period accepted. */
export const MIN_RECONCILE_INTERVAL_MS = 10;
export { DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_TRIALS, DEFAULT_MAX_TRIAL_MEMORY_MB };

export interface CoordinatorOptions {
  /** How to reach NATS; `servers` is required. */
  nats: NatsClientOptions;
  /** JetStream replicas of the streams and bucket: 1 locally, 3 on a cluster. Default DEFAULT_REPLICAS (1), at most 5. */
  replicas?: number;
  /** Largest sweep accepted, in trials. Default DEFAULT_MAX_TRIALS (100,000). */
  maxTrials?: number;
  /**
   * Largest estimated memory of one trial accepted, in MiB (model, Adam state, activations of the
   * full batch and data: the catalog's estimate). Default DEFAULT_MAX_TRIAL_MEMORY_MB (2048).
   */
  maxTrialMemoryMb?: number;
  /** Shard ack deadline: a worker silent this long loses its shard to another. Default DEFAULT_ACK_WAIT_MS (30 s). */
  ackWaitMs?: number;
  /** Period of the queue-depth / exhausted-shard check. Default DEFAULT_RECONCILE_INTERVAL_MS (5 s). */
  reconcileIntervalMs?: number;
  /** Default: nothing is logged. */
  log?: Logger;
}

/** CoordinatorOptions with every default filled in and every value checked. */
export interface CompiledCoordinatorOptions {
  readonly nats: NatsClientOptions;
  readonly replicas: number;
  readonly maxTrials: number;
  readonly maxTrialMemoryMb: number;
  readonly ackWaitMs: number;
  readonly reconcileIntervalMs: number;
  readonly log: Logger;
}

/**
 * Fills in the defaults and checks every option once, at start; throws InvalidOptionError naming
 * the first bad one.
 */
export function compileCoordinatorOptions(options: CoordinatorOptions): Readonly<CompiledCoordinatorOptions> {
  return Object.freeze({
    nats: checkNats(options.nats),
    replicas: integerOption('replicas', options.replicas, DEFAULT_REPLICAS, 1, MAX_REPLICAS),
    maxTrials: integerOption('maxTrials', options.maxTrials, DEFAULT_MAX_TRIALS, 1, Number.MAX_SAFE_INTEGER),
    maxTrialMemoryMb: integerOption('maxTrialMemoryMb', options.maxTrialMemoryMb, DEFAULT_MAX_TRIAL_MEMORY_MB, 1, Number.MAX_SAFE_INTEGER),
    ackWaitMs: integerOption('ackWaitMs', options.ackWaitMs, DEFAULT_ACK_WAIT_MS, MIN_ACK_WAIT_MS, Number.MAX_SAFE_INTEGER),
    reconcileIntervalMs: integerOption('reconcileIntervalMs', options.reconcileIntervalMs, DEFAULT_RECONCILE_INTERVAL_MS, MIN_RECONCILE_INTERVAL_MS, 2 ** 31 - 1),
    log: options.log ?? silentLogger,
  });
}

function checkNats(nats: NatsClientOptions | undefined): NatsClientOptions {
  if (nats === undefined || nats === null) throw new InvalidOptionError('nats', 'required (at least nats.servers)');
  const servers = typeof nats.servers === 'string' ? nats.servers.split(',') : nats.servers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new InvalidOptionError('nats.servers', `expected one or more server URLs, got ${JSON.stringify(nats.servers)}`);
  }
  return nats;
}

/** An integer option in [min, max], or its default when absent. */
export function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new InvalidOptionError(name, `expected an integer ${range}, got ${typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))}`);
  }
  return value;
}
