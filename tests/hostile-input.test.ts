/**
 * Hostile input at the gRPC boundary (the hostile-input issue): oversized, deep and exploding specs,
 * garbage protobuf, unknown sweeps and models too big for memory, against a real coordinator on
 * port 0, a real nats-server and a real worker process.
 */
import test from 'ava';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { SweepServiceClient, TrialStatus, type TrialResult } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';

let client: SweepServiceClient;
let raw: Client;

const fixture = sweepFixture(test, {
  setup: async (f) => {
    client = new SweepServiceClient(f.server.grpcAddress, credentials.createInsecure());
    raw = new Client(f.server.grpcAddress, credentials.createInsecure());
  },
  teardown: async () => {
    client?.close();
    raw?.close();
  },
});

const DEADLINE_MS = 20_000;

/** Submits spec text; resolves with the status code, its details and how long the answer took. */
function submit(specYaml: string): Promise<{ code: status; details: string; ms: number; sweepId: string }> {
  const started = Date.now();
  return new Promise((resolve) =>
    client.submit({ specYaml }, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (e: ServiceError | null, r) =>
      resolve({ code: e ? e.code : status.OK, details: e ? e.details : '', ms: Date.now() - started, sweepId: r?.sweepId ?? '' }),
    ),
  );
}

const spec = (name: string, extra: string, method = 'method: sleep'): string => `name: ${name}\n${method}\n${extra}\nobjectives: [{ metric: score, goal: max }]\n`;

test('a spec of about 1 MiB is INVALID_ARGUMENT naming the limit: a comment, or a grid that would overflow the sweep record', async (t) => {
  const comment = await submit(spec(uniqueName('big'), `# ${'x'.repeat(1_000_000)}`));
  t.is(comment.code, status.INVALID_ARGUMENT, comment.details);
  t.regex(comment.details, /^the spec is 10000\d\d bytes, more than the limit of 262144 bytes \(256 KiB\)$/);
  const values = Array.from({ length: 90_000 }, (_, i) => `v${i}`).join(', ');
  const grid = await submit(spec(uniqueName('big'), `grid: { x: [${values}] }`));
  t.is(grid.code, status.INVALID_ARGUMENT, grid.details);
  t.regex(grid.details, /limit of 262144 bytes/);
});

test('the 342-byte {product} spec is refused in milliseconds, naming grid.c and the limit, and the coordinator keeps serving', async (t) => {
  const bomb = spec('bomb', `grid: { c: { product: [${Array.from({ length: 9 }, () => '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]').join(', ')}] } }`);
  t.true(bomb.length < 400);
  const rss = process.memoryUsage().rss;
  const r = await submit(bomb);
  t.is(r.code, status.INVALID_ARGUMENT);
  t.true(r.ms < 2_000, `${r.ms} ms`);
  t.true(process.memoryUsage().rss - rss < 100 * 1024 * 1024, 'the coordinator did not expand the grid');
  t.regex(r.details, /^grid\.c: \{product\} of 9 lists .* is 1000000000 vectors, more than the limit of 100000 grid values$/);
  t.is((await submit(spec(uniqueName('after'), 'params: { duration_ms: 1 }'))).code, status.OK);
});

test('params nested 60 deep are INVALID_ARGUMENT naming the path and the limit', async (t) => {
  const r = await submit(spec(uniqueName('deep'), `params: { duration_ms: 1, x: ${'['.repeat(60)}1${']'.repeat(60)} }`));
  t.is(r.code, status.INVALID_ARGUMENT);
  t.regex(r.details, /^params\.x\[0\].*: YAML nested deeper than the limit of 16 levels/);
  const nine = await submit(spec(uniqueName('deep'), `grid: { x: [${'['.repeat(9)}1${']'.repeat(9)}] }`));
  t.regex(nine.details, /^grid\.x\[0\]: lists nested more than 8 deep/);
});

const identity = (b: Buffer): Buffer => b;
const GARBAGE = [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0x0a, 0xff, 0x01, 0x41]), Buffer.from([0x0f])];

test('garbage protobuf requests are INVALID_ARGUMENT, unary and streaming, not INTERNAL', async (t) => {
  for (const method of ['Submit', 'Get', 'Frontier', 'Cancel']) {
    for (const bytes of GARBAGE) {
      const e = await new Promise<ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(`/fairsweep.v1.SweepService/${method}`, identity, identity, bytes, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err) => resolve(err)),
      );
      t.is(e?.code, status.INVALID_ARGUMENT, `${method} ${bytes.toString('hex')}: ${e?.details}`);
      t.regex(e?.details ?? '', new RegExp(`^request to /fairsweep\\.v1\\.SweepService/${method} is not a valid protobuf message: `));
    }
  }
  for (const method of ['Watch', 'Results']) {
    const e = await new Promise<ServiceError>((resolve, reject) => {
      const s = raw.makeServerStreamRequest(`/fairsweep.v1.SweepService/${method}`, identity, identity, GARBAGE[0] ?? Buffer.alloc(0), new Metadata(), { deadline: Date.now() + DEADLINE_MS });
      s.on('data', () => reject(new Error('no message expected')));
      s.on('error', resolve);
      s.on('end', () => reject(new Error('ended without a status error')));
    });
    t.is(e.code, status.INVALID_ARGUMENT, `${method}: ${e.details}`);
  }
});

test('an unknown sweep id is NOT_FOUND at once for Watch, Results, Get and Frontier', async (t) => {
  const sweepId = `${uniqueName('nosuch')}-abc123`;
  const stream = (open: () => NodeJS.ReadableStream & { on(ev: 'error', f: (e: ServiceError) => void): unknown }): Promise<{ code: status; ms: number }> => {
    const started = Date.now();
    return new Promise((resolve) => {
      const s = open();
      s.on('data', () => undefined);
      s.on('error', (e: ServiceError) => resolve({ code: e.code, ms: Date.now() - started }));
      s.on('end', () => resolve({ code: status.OK, ms: Date.now() - started }));
    });
  };
  const unary = (call: (cb: (e: ServiceError | null) => void) => void): Promise<{ code: status; ms: number }> => {
    const started = Date.now();
    return new Promise((resolve) => call((e) => resolve({ code: e ? e.code : status.OK, ms: Date.now() - started })));
  };
  const opts = { deadline: Date.now() + DEADLINE_MS };
  const answers = {
    Watch: await stream(() => client.watch({ sweepId, replay: true }, new Metadata(), opts)),
    Results: await stream(() => client.results({ sweepId }, new Metadata(), opts)),
    Get: await unary((cb) => client.get({ sweepId }, new Metadata(), opts, cb)),
    Frontier: await unary((cb) => client.frontier({ sweepId, objectives: [], reference: [], perTrial: false }, new Metadata(), opts, cb)),
  };
  for (const [method, a] of Object.entries(answers)) {
    t.is(a.code, status.NOT_FOUND, method);
    t.true(a.ms < 2_000, `${method} answered in ${a.ms} ms`);
  }
});

test('a model too big for the coordinator\'s per-trial memory is refused at submit, naming the param and the estimate', async (t) => {
  const r = await submit(spec(uniqueName('huge'), 'dataset: { name: spurious }\ngrid: { hidden: [[8], [65536, 65536]] }', 'method: erm'));
  t.is(r.code, status.INVALID_ARGUMENT);
  t.regex(r.details, /^grid\.hidden\[1\]: hidden \[65536, 65536\] needs about \d+(\.\d+)? GiB \(a model of 4\.\d+e\+9 parameters: .*\), more than this coordinator's limit of 2048 MiB per trial \(--max-trial-memory-mb\)$/);
});

test('a worker refuses a trial too big for its --memory-mb before building it, not retried; the small trial of the same shard runs', async (t) => {
  const worker = await fixture.worker('--memory-mb', '256');
  const r = await submit(spec(uniqueName('shared'), 'dataset: { name: spurious, n: 200 }\nparams: { steps: 5 }\ngrid: { hidden: [[8], [2048, 2048]] }\nshard_size: 2\npack: off', 'method: erm'));
  t.is(r.code, status.OK, r.details);
  const sweep = fixture.server.coordinator.sweep(r.sweepId);
  await eventually(() => sweep.finished, 120_000, 'the sweep to finish');
  const results: TrialResult[] = fixture.server.coordinator.results(r.sweepId);
  const big = results.find((x) => x.error.includes('[2048, 2048]'));
  const small = results.find((x) => x !== big);
  t.is(results.length, 2);
  t.is(big?.status, TrialStatus.TRIAL_STATUS_FAILED);
  t.is(big?.attempts, 1, 'not retried');
  t.regex(big?.error ?? '', /hidden \[2048, 2048\] needs about \d+ MiB \(.*\), more than this worker's 256 MiB per trial \(--memory-mb 256 over 1 slot\); not retried/);
  t.is(small?.status, TrialStatus.TRIAL_STATUS_OK, small?.error);
  t.is(worker.proc.exitCode, null, 'the worker is still running');
});
