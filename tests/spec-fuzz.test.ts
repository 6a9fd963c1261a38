import test from 'ava';
import fc from 'fast-check';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { parseSpecText, SpecError } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SweepServiceClient } from '../proto/index.js';
import { spawnCli, startNats, type CliProcess } from './helpers/cluster.js';

/** A valid spec as data; the corpus is made by breaking it one way at a time. */
const valid = (): Record<string, unknown> => ({
  name: 'corpus',
  method: 'irm',
  dataset: { name: 'spurious', n: 400 },
  params: { steps: 20, lr: 0.001 },
  grid: { penalty_weight: [0, 1, 10] },
  seeds: [0, 1],
  objectives: [
    { metric: 'test/accuracy', goal: 'max' },
    { metric: 'test/demographic_parity_difference', goal: 'min' },
  ],
  shard_size: 2,
  max_attempts: 3,
});

interface Case {
  what: string;
  text: string;
  /** What the first line of the error must name. */
  path: RegExp;
}

const WRONG_VALUES: [string, unknown][] = [
  ['a number', 42],
  ['a string', 'abc'],
  ['a boolean', true],
  ['null', null],
  ['a list', [1, 2]],
  ['a map', { a: 1 }],
];

/** The generated corpus: every top-level key with every wrong type, and many targeted breakages. */
function corpus(): Case[] {
  const cases: Case[] = [];
  const mutate = (what: string, path: RegExp, f: (s: Record<string, unknown>) => void): void => {
    const s = valid();
    f(s);
    cases.push({ what, text: stringify(s), path });
  };
  const keys = Object.keys(valid());
  for (const key of keys) {
    for (const [label, value] of WRONG_VALUES) {
      const ok = (key === 'seeds' && Array.isArray(value)) || (key === 'name' && value === 'abc') || ((key === 'shard_size' || key === 'max_attempts') && value === 42) || (key === 'params' && typeof value === 'object' && value !== null && !Array.isArray(value));
      if (ok) continue;
      // Some wrong values are still wrong in a way that is reported elsewhere (e.g. a method name string that is unknown).
      mutate(`${key} as ${label}`, new RegExp(`^${key}\\b`), (s) => (s[key] = value));
    }
    if (['name', 'method', 'objectives'].includes(key)) mutate(`${key} missing`, new RegExp(`^${key}: required`), (s) => delete s[key]);
  }
  mutate('dataset missing for a method that needs one', /^dataset: required/, (s) => delete s.dataset);
  mutate('unknown top-level key', /^bogus: unknown key/, (s) => (s.bogus = 1));
  mutate('misspelled key', /^objective: unknown key/, (s) => {
    s.objective = s.objectives;
  });
  mutate('unknown method', /^method: unknown method "magic"/, (s) => (s.method = 'magic'));
  mutate('unknown dataset', /^dataset\.name: /, (s) => (s.dataset = { name: 'imagenet' }));
  mutate('unknown dataset option', /^dataset\.bogus: /, (s) => (s.dataset = { name: 'spurious', bogus: 3 }));
  mutate('wrong dataset option type', /^dataset\.n: /, (s) => (s.dataset = { name: 'spurious', n: 'many' }));
  mutate('unknown method param', /^params\.bogus: /, (s) => (s.params = { steps: 10, bogus: 1 }));
  mutate('wrong method param type', /^params\.steps: /, (s) => (s.params = { steps: 'ten' }));
  mutate('negative lr', /^params\.lr: /, (s) => (s.params = { lr: -1 }));
  mutate('empty grid axis', /^grid\.penalty_weight: expected a non-empty list/, (s) => (s.grid = { penalty_weight: [] }));
  mutate('grid value of the wrong type', /^grid\.penalty_weight\[1\]: expected a number, got "abc"/, (s) => (s.grid = { penalty_weight: [0, 'abc'] }));
  mutate('grid value out of range', /^grid\.penalty_weight\[0\]/, (s) => (s.grid = { penalty_weight: [-5] }));
  mutate('grid key both fixed and swept', /penalty_weight/, (s) => {
    s.params = { penalty_weight: 1 };
  });
  mutate('duplicate grid values', /^grid\.penalty_weight/, (s) => (s.grid = { penalty_weight: [1, 1] }));
  mutate('huge grid', /^grid: .*(trials|limit)/, (s) => (s.grid = { a_: Array.from({ length: 1000 }, (_, i) => i), b_: Array.from({ length: 1000 }, (_, i) => i) }));
  mutate('huge linspace', /^grid/, (s) => (s.grid = { penalty_weight: { linspace: [0, 1, 10_000_000] } }));
  mutate('empty seeds', /^seeds: expected a non-empty list/, (s) => (s.seeds = []));
  mutate('fractional seed', /^seeds\[1\]/, (s) => (s.seeds = [0, 0.5]));
  mutate('duplicate seeds', /^seeds/, (s) => (s.seeds = [1, 1]));
  mutate('empty objectives', /^objectives: expected at least one objective/, (s) => (s.objectives = []));
  mutate('objective with a bad goal', /^objectives\[0\]\.goal: expected one of "max", "min", got "up"/, (s) => (s.objectives = [{ metric: 'test/accuracy', goal: 'up' }]));
  mutate('objective without a metric', /^objectives\[0\]\.metric: required/, (s) => (s.objectives = [{ goal: 'max' }]));
  mutate('objective with an unknown key', /^objectives\[0\]\.weight: unknown key/, (s) => (s.objectives = [{ metric: 'a', goal: 'max', weight: 2 }]));
  mutate('zero shard size', /^shard_size/, (s) => (s.shard_size = 0));
  mutate('zero max_attempts', /^max_attempts/, (s) => (s.max_attempts = 0));
  mutate('bad name', /^name: /, (s) => (s.name = 'Not OK!'));
  mutate('over-long name', /^name: /, (s) => (s.name = 'a'.repeat(500)));
  const text = stringify(valid());
  cases.push({ what: 'unclosed flow list', text: text.replace('- 0\n', '- [0\n'), path: /line \d+/ });
  cases.push({ what: 'tab indentation', text: `name: x\n\tmethod: sleep\n`, path: /line \d+/ });
  cases.push({ what: 'duplicate keys', text: `${text}name: again\n`, path: /line \d+|name/ });
  cases.push({ what: 'a bare scalar', text: '42', path: /^expected a mapping of spec keys/ });
  cases.push({ what: 'a list at the top', text: '- a\n- b\n', path: /^expected a mapping of spec keys/ });
  cases.push({ what: 'empty text', text: '', path: /^expected a mapping of spec keys/ });
  cases.push({ what: 'binary garbage', text: '\u0000\u0001\u00ff{{[[', path: /line \d+|^expected a mapping/ });
  return cases;
}

test('every spec of the malformed corpus is rejected with a one-line error naming where', (t) => {
  const cases = corpus();
  t.true(cases.length > 60, `corpus of ${cases.length}`);
  for (const c of cases) {
    let err: unknown;
    try {
      parseSpecText(c.text);
    } catch (e) {
      err = e;
    }
    if (!(err instanceof SpecError)) {
      t.fail(`${c.what}: expected a SpecError, got ${err === undefined ? 'success' : String(err)}`);
      continue;
    }
    const first = err.message.split('\n')[0] ?? '';
    t.regex(first, c.path, c.what);
    t.true(first.length < 400, `${c.what}: the error is short`);
    t.notRegex(err.message, /\n\s+at /, `${c.what}: no stack trace in the message`);
  }
});

/** Random YAML documents shaped like specs: right keys with random values, and random keys. */
const specLike = fc.record(
  {
    name: fc.oneof(fc.constantFrom('ok', 'a-b-1'), fc.string()),
    method: fc.oneof(fc.constantFrom('sleep', 'irm', 'erm'), fc.string()),
    dataset: fc.oneof(fc.constant({ name: 'spurious' }), fc.dictionary(fc.string(), fc.jsonValue())),
    params: fc.dictionary(fc.constantFrom('steps', 'lr', 'duration_ms', 'x', 'l2', 'hidden'), fc.jsonValue()),
    grid: fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.jsonValue())),
    seeds: fc.oneof(fc.array(fc.integer(), { maxLength: 4 }), fc.jsonValue()),
    objectives: fc.oneof(fc.array(fc.record({ metric: fc.string(), goal: fc.constantFrom('max', 'min', 'up') }), { maxLength: 3 }), fc.jsonValue()),
    shard_size: fc.jsonValue(),
    max_attempts: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  specLike.map((s) => stringify(s)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.tuple(fc.constant(stringify(valid())), fc.nat(400), fc.string({ maxLength: 8 })).map(([s, at, ins]) => s.slice(0, at % s.length) + ins + s.slice(at % s.length)),
);

test('property: any text either parses or is rejected with a SpecError, never another error', (t) => {
  fc.assert(
    fc.property(anyText, (text) => {
      try {
        const s = parseSpecText(text);
        return s.trials >= 1 && s.objectives.length >= 1;
      } catch (e) {
        return e instanceof SpecError && e.message.length > 0;
      }
    }),
    { numRuns: 3_000 },
  );
  t.pass();
});

let nats: NatsServer | undefined;
let coordinator: CliProcess | undefined;

test.after.always(async () => {
  await coordinator?.kill('SIGKILL');
  await nats?.stop();
});

test('fuzz: no spec submitted over gRPC crashes the coordinator; each is accepted or refused as INVALID_ARGUMENT', async (t) => {
  nats = await startNats();
  coordinator = spawnCli(['coordinator', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', 'none']);
  const address = (await coordinator.waitFor(/grpc=(\S+)/))[1]!;
  const client = new SweepServiceClient(address, credentials.createInsecure());
  const submit = (specYaml: string): Promise<number> =>
    new Promise((resolve) => client.submit({ specYaml }, new Metadata(), { deadline: Date.now() + 10_000 }, (e: ServiceError | null) => resolve(e ? e.code : status.OK)));
  const texts = [...corpus().map((c) => c.text), ...fc.sample(anyText, { numRuns: 300, seed: 7 })];
  const codes = new Map<number, number>();
  for (const text of texts) {
    const code = await submit(text);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  t.deepEqual(
    [...codes.keys()].filter((c) => c !== status.OK && c !== status.INVALID_ARGUMENT),
    [],
    `only OK or INVALID_ARGUMENT: ${JSON.stringify([...codes])}`,
  );
  t.true((codes.get(status.INVALID_ARGUMENT) ?? 0) >= corpus().length);
  // Still alive and serving.
  t.is(coordinator.proc.exitCode, null);
  t.is(await submit(stringify({ ...valid(), name: 'after-fuzz', method: 'sleep', dataset: undefined, params: { duration_ms: 1 }, grid: { x: [1, 2] } })), status.OK);
  client.close();
});
