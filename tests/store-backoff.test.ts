/** StoreBackoff without NATS: one episode from the first refused result to the first stored one. */
import test from 'ava';
import { JetStreamApiError } from '@nats-io/jetstream';
import { StoreBackoff } from '../worker/runtime/store-backoff.js';
import type { Logger } from '../common/index.js';

const full = (): JetStreamApiError => new JetStreamApiError({ code: 503, err_code: 10023, description: 'insufficient resources' });

function recorder(): { log: Logger; lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const log: Logger = {
    debug: (msg) => lines.push({ level: 'debug', msg }),
    info: (msg) => lines.push({ level: 'info', msg }),
    warn: (msg) => lines.push({ level: 'warn', msg }),
    error: (msg) => lines.push({ level: 'error', msg }),
    child: () => log,
  };
  return { log, lines };
}

test('the wait doubles with each refused retry up to its cap, ends at the first stored result, and is logged once each way', async (t) => {
  const { log, lines } = recorder();
  const delays: number[] = [];
  let starts = 0;
  const b = new StoreBackoff(log, { onStart: () => starts++, onDelay: (ms) => delays.push(ms) }, 10, 40);
  t.false(b.active);
  let probes = 0;
  const retry = async (): Promise<void> => {
    probes++;
    if (probes < 4) throw full();
  };
  t.is(b.refused(full(), retry), 10, 'the shard is handed back for the first wait');
  t.is(b.refused(full(), retry), 10, 'another refusal in the same episode starts nothing new');
  t.true(b.active);
  t.is(starts, 1);
  await b.wait(new AbortController().signal);
  t.false(b.active);
  t.is(probes, 4);
  t.deepEqual(delays, [10, 20, 40, 40, 0]);
  t.deepEqual(lines.filter((l) => l.level !== 'debug').map((l) => l.level), ['warn', 'info']);
  t.regex(lines[0]?.msg ?? '', /^results cannot be stored: JetStream's store is full; shards are handed back/);
});

test('a result stored elsewhere ends the wait at once; stopping the worker ends it too', async (t) => {
  const { log } = recorder();
  const b = new StoreBackoff(log, { onStart: () => undefined, onDelay: () => undefined }, 60_000, 60_000);
  b.refused(full(), () => Promise.reject(full()));
  const started = Date.now();
  const waiting = b.wait(new AbortController().signal);
  b.stored();
  await waiting;
  t.false(b.active);
  t.true(Date.now() - started < 1_000);

  b.refused(full(), () => Promise.reject(full()));
  const halt = new AbortController();
  const stopping = b.wait(halt.signal);
  halt.abort();
  await stopping;
  t.true(b.active, 'still backing off: nothing was stored');
  t.true(Date.now() - started < 1_000);
});
