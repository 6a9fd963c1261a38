import test from 'ava';
import { BoundedPublish } from '../common/index.js';

/** A promise settled from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether `p` has settled after the pending callbacks have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

test('add returns at once while the window has room, and waits while it is full until one publish settles', async (t) => {
  const window = new BoundedPublish(2);
  const a = deferred();
  const b = deferred();
  const c = deferred();
  await window.add(a.promise);
  t.is(window.inFlight, 1);
  const full = window.add(b.promise);
  t.false(await settled(full), 'two in flight: the second add waits');
  b.resolve();
  await full;
  t.is(window.inFlight, 1);
  const third = window.add(c.promise);
  t.false(await settled(third));
  a.resolve();
  await third;
  c.resolve();
  await window.drain();
  t.is(window.inFlight, 0);
});

test('drain waits for every publish, then throws the first error, even of a publish that failed long before', async (t) => {
  const window = new BoundedPublish(10);
  const first = new Error('first refused');
  await window.add(Promise.reject(first));
  await new Promise((r) => setImmediate(r)); // the failed publish has settled and left the window
  const slow = deferred();
  const late = deferred();
  await t.throwsAsync(window.add(slow.promise), { is: first }, 'add reports an earlier failure so the caller stops publishing');
  const draining = window.drain();
  t.false(await settled(draining), 'drain waits for the publishes still in flight');
  void window.add(late.promise).catch(() => undefined);
  late.reject(new Error('second refused'));
  slow.resolve();
  await t.throwsAsync(draining, { is: first });
  t.is(window.inFlight, 0);
});

test('a publish failing while add waits in a full window is reported by that add', async (t) => {
  const window = new BoundedPublish(1);
  const p = deferred();
  const adding = window.add(p.promise);
  const refused = new Error('refused');
  p.reject(refused);
  await t.throwsAsync(adding, { is: refused });
  await t.throwsAsync(window.drain(), { is: refused });
});

test('drain of an empty window resolves; the window must be a positive integer', async (t) => {
  await t.notThrowsAsync(new BoundedPublish(1).drain());
  for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => new BoundedPublish(bad), { instanceOf: RangeError, message: /window/ });
});
