import test from 'ava';
import { createLogger, NatsServer } from '../common/index.js';
import {
  compileWorkerOptions, compileWorkerServerOptions, DEFAULT_BACKEND, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_PREFETCH_MAX_SHARD_MS, DEFAULT_PREFIX_CACHE_BYTES, DEFAULT_SLOTS, DEFAULT_MAX_DATA_BYTES, MAX_DATA_BYTES_LIMIT, MAX_WORKER_MEMORY_MB, defaultWorkerMemoryMb, Worker, WorkerOptionError, WorkerServer, WorkerStateError,
} from '../worker/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { PrefixCache } from '../worker/methods/prefix-cache.js';
import { WorkerLifecycle, type WorkerState } from '../worker/runtime/worker-lifecycle.js';
import { startNats, spawnCli } from './helpers/cluster.js';

const nats = { servers: 'nats://127.0.0.1:4222' };

test('compileWorkerOptions fills every default from its DEFAULT_* constant and freezes the result', (t) => {
  const o = compileWorkerOptions({ nats });
  t.is(o.slots, DEFAULT_SLOTS);
  t.is(o.backend, DEFAULT_BACKEND);
  t.is(o.heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS);
  t.is(o.prefetchMaxShardMs, DEFAULT_PREFETCH_MAX_SHARD_MS);
  t.deepEqual(o.prefixCache, { enabled: true, maxBytes: DEFAULT_PREFIX_CACHE_BYTES });
  t.is(o.gpu, undefined);
  t.is(o.grpcAddress, '');
  t.is(o.dataDir, undefined, 'no data directory unless one is given');
  t.is(o.maxDataBytes, DEFAULT_MAX_DATA_BYTES);
  t.is(o.memoryMb, defaultWorkerMemoryMb(), "the machine's memory (or its cgroup's limit)");
  t.true(defaultWorkerMemoryMb() >= 1 && defaultWorkerMemoryMb() <= totalmem() / 2 ** 20);
  t.regex(o.id, /^[a-z0-9-]+-\d+-[0-9a-f]{4}$/);
  t.true(Object.isFrozen(o) && Object.isFrozen(o.prefixCache));
  const s = compileWorkerServerOptions({ nats, grpc: null, metrics: null });
  t.is(s.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS);
  t.is(s.slots, DEFAULT_SLOTS);
  // Given values are kept as they are.
  t.like(compileWorkerOptions({ nats, slots: 8, gpu: 0, id: 'w1', backend: 'cpu', prefixCache: { enabled: false, maxBytes: 1024 } }), {
    slots: 8, gpu: 0, id: 'w1', backend: 'cpu', prefixCache: { enabled: false, maxBytes: 1024 },
  });
  // The data directory is made absolute once, here.
  const dataDir = mkdtempSync(join(tmpdir(), 'fairsweep-options-'));
  t.like(compileWorkerOptions({ nats, dataDir: relative(process.cwd(), dataDir), maxDataBytes: 1024 }), { dataDir, maxDataBytes: 1024 });
});

test('a bad option fails fast with a WorkerOptionError that names it', (t) => {
  const notADirectory = join(mkdtempSync(join(tmpdir(), 'fairsweep-options-')), 'file');
  writeFileSync(notADirectory, '');
  const bad: [string, () => unknown][] = [
    ['slots', () => compileWorkerOptions({ nats, slots: 0 })],
    ['slots', () => compileWorkerOptions({ nats, slots: 1.5 })],
    ['gpu', () => compileWorkerOptions({ nats, gpu: -1 })],
    ['backend', () => compileWorkerOptions({ nats, backend: JSON.parse('"gpu"') })],
    ['id', () => compileWorkerOptions({ nats, id: ' ' })],
    ['heartbeatIntervalMs', () => compileWorkerOptions({ nats, heartbeatIntervalMs: 0 })],
    ['prefetchMaxShardMs', () => compileWorkerOptions({ nats, prefetchMaxShardMs: -5 })],
    ['prefixCache.maxBytes', () => compileWorkerOptions({ nats, prefixCache: { maxBytes: Number.NaN } })],
    ['prefixCache.enabled', () => compileWorkerOptions({ nats, prefixCache: { enabled: JSON.parse('"no"') } })],
    ['nats.servers', () => compileWorkerOptions({ nats: { servers: [] } })],
    ['dataDir', () => compileWorkerOptions({ nats, dataDir: '' })],
    ['dataDir', () => compileWorkerOptions({ nats, dataDir: join(tmpdir(), 'fairsweep-no-such-dir') })],
    ['dataDir', () => compileWorkerOptions({ nats, dataDir: notADirectory })],
    ['maxDataBytes', () => compileWorkerOptions({ nats, maxDataBytes: 0 })],
    ['maxDataBytes', () => compileWorkerOptions({ nats, maxDataBytes: MAX_DATA_BYTES_LIMIT + 1 })],
    ['memoryMb', () => compileWorkerOptions({ nats, memoryMb: 0 })],
    ['memoryMb', () => compileWorkerOptions({ nats, memoryMb: MAX_WORKER_MEMORY_MB + 1 })],
    ['drainTimeoutMs', () => compileWorkerServerOptions({ nats, grpc: null, metrics: null, drainTimeoutMs: -1 })],
    ['grpc', () => compileWorkerServerOptions({ nats, grpc: '', metrics: null })],
  ];
  for (const [option, compile] of bad) {
    const err = t.throws(compile, { instanceOf: WorkerOptionError }, option);
    t.is(err?.option, option);
    t.true(err?.message.startsWith(`${option}: `), err?.message);
  }
});

test.serial('library code reads no environment: FAIRSWEEP_PREFIX_CACHE and FAIRSWEEP_LOG_LEVEL change nothing unless the CLI passes them', async (t) => {
  const saved = { cache: process.env.FAIRSWEEP_PREFIX_CACHE, mb: process.env.FAIRSWEEP_PREFIX_CACHE_MB, level: process.env.FAIRSWEEP_LOG_LEVEL };
  process.env.FAIRSWEEP_PREFIX_CACHE = '0';
  process.env.FAIRSWEEP_PREFIX_CACHE_MB = '1';
  process.env.FAIRSWEEP_LOG_LEVEL = 'error';
  try {
    let computed = 0;
    const cache = new PrefixCache();
    for (let i = 0; i < 2; i++) await cache.get('k', async () => ++computed, () => 8);
    t.is(computed, 1, 'the cache is on by default');
    t.deepEqual(compileWorkerOptions({ nats }).prefixCache, { enabled: true, maxBytes: DEFAULT_PREFIX_CACHE_BYTES });
    const lines: string[] = [];
    createLogger({}, undefined, (l) => lines.push(l)).info('hello');
    t.is(lines.length, 1, 'the logger logs info by default');
  } finally {
    for (const [k, v] of [['FAIRSWEEP_PREFIX_CACHE', saved.cache], ['FAIRSWEEP_PREFIX_CACHE_MB', saved.mb], ['FAIRSWEEP_LOG_LEVEL', saved.level]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('the worker command reads its environment variables and names the bad one', async (t) => {
  // Nothing listens on port 1: a worker that got past its options would fail to connect instead.
  for (const [env, message] of [
    [{ FAIRSWEEP_PREFIX_CACHE_MB: 'lots' }, /FAIRSWEEP_PREFIX_CACHE_MB: expected a positive number of MiB, got "lots"/],
    [{ FAIRSWEEP_BACKEND: 'gpu' }, /FAIRSWEEP_BACKEND: expected one of auto, webgpu, tensorflow-gpu, tensorflow, wasm, cpu, none, got "gpu"/],
    [{ FAIRSWEEP_DAWN_FLAGS: 'backend=vulkan verbose' }, /FAIRSWEEP_DAWN_FLAGS: expected Dawn flags key=value separated by spaces, got "verbose"/],
  ] as const) {
    const p = spawnCli(['worker', '--nats', 'nats://127.0.0.1:1', '--grpc', 'none'], env);
    const exit = await p.exited;
    t.is(exit.code, 1, p.output);
    t.regex(p.output, message);
  }
});

test('the worker state machine goes starting → running → draining → stopped, and nowhere else', (t) => {
  const seen: WorkerState[] = [];
  const life = new WorkerLifecycle((s) => seen.push(s));
  t.is(life.state, 'starting');
  t.false(life.accepting);
  t.throws(() => life.to('stopped'), { instanceOf: WorkerStateError, message: 'worker state: cannot go from starting to stopped' });
  life.to('running');
  t.true(life.accepting && life.active);
  t.throws(() => life.to('starting'), { instanceOf: WorkerStateError });
  life.to('draining');
  t.false(life.accepting || life.active);
  t.throws(() => life.to('running'), { instanceOf: WorkerStateError });
  life.to('stopped');
  t.throws(() => life.to('draining'), { instanceOf: WorkerStateError });
  t.deepEqual(seen, ['running', 'draining', 'stopped']);
  // A start that fails drains what it had set up.
  const failed = new WorkerLifecycle();
  failed.to('draining');
  failed.to('stopped');
  t.is(failed.state, 'stopped');
});

test.serial('a started worker is running with its compiled options; drain takes it to stopped, idempotently', async (t) => {
  const server: NatsServer = await startNats();
  try {
    await t.throwsAsync(WorkerServer.start({ nats: { servers: server.url }, slots: 0, grpc: null, metrics: null }), { instanceOf: WorkerOptionError, message: /^slots: / });
    const w = await Worker.start({ nats: { servers: server.url }, backend: 'none', slots: 3, prefixCache: { enabled: false } });
    t.is(w.state, 'running');
    t.is(w.slots, 3);
    t.is(w.info().state, 'running');
    let computed = 0;
    for (let i = 0; i < 2; i++) await w.prefixCache.get('k', async () => ++computed, () => 8);
    t.is(computed, 2, 'the worker\'s prefix cache follows its options (disabled)');
    const a = w.drain();
    const b = w.drain();
    await Promise.all([a, b]);
    t.is(w.state, 'stopped');
    await t.notThrowsAsync(w.drain());
  } finally {
    await server.stop();
  }
});
