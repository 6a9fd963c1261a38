import { connect } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { NatsServer } from '../common/index.js';
import { BenchCluster, isEntry, median } from './harness.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 20_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Raw JetStream: publish N messages (pipelined, with acks) and consume them with a pull consumer (acked). */
async function rawJetStream(n: number): Promise<number> {
  const nats = await NatsServer.start();
  // Same client options as fairsweep's own connections.
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'RAW', subjects: ['raw.>'] });
    await jsm.consumers.add('RAW', { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const payload = new Uint8Array(120);
    const t0 = performance.now();
    const consumed = (async () => {
      const c = await js.consumers.get('RAW', 'raw');
      const msgs = await c.consume({ max_messages: 1000 });
      let got = 0;
      for await (const m of msgs) {
        m.ack();
        if (++got === n) break;
      }
    })();
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      inflight.push(js.publish(`raw.${i % 16}`, payload, { msgID: `m${i}` }));
      if (inflight.length >= 512) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    await consumed;
    return (performance.now() - t0) / 1000;
  } finally {
    await nc.close();
    await nats.stop();
  }
}

export async function main(): Promise<void> {
  const raw: number[] = [];
  for (let i = 0; i < RUNS; i++) raw.push(await rawJetStream(TRIALS));
  const rawRate = TRIALS / median(raw);
  const cluster = await BenchCluster.start(WORKERS, 4);
  const e2e: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const r = await cluster.timeSweep(`
name: bench-throughput
method: sleep
params: { duration_ms: 0 }
grid: { x: { linspace: [0, 1, ${TRIALS}] } }
${process.env.BENCH_SHARD ? `shard_size: ${process.env.BENCH_SHARD}` : ''}
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`);
      if (r.ok !== TRIALS) throw new Error(`only ${r.ok} of ${TRIALS} trials ok`);
      e2e.push(r.seconds);
    }
  } finally {
    await cluster.stop();
  }
  const rate = TRIALS / median(e2e);
  const ratio = rate / rawRate;
  console.log(
    `throughput: ${TRIALS} sleep(0) trials on ${WORKERS} workers: median ${rate.toFixed(0)} trials/s (runs ${e2e.map((s) => s.toFixed(2)).join(', ')} s); ` +
      `raw JetStream publish+consume of ${TRIALS} msgs: ${rawRate.toFixed(0)} msg/s; ratio ${(ratio * 100).toFixed(1)}% ` +
      `(targets: >= 5000 trials/s ${rate >= 5000 ? 'PASS' : 'MISS'}, >= 30% of raw ${ratio >= 0.3 ? 'PASS' : 'MISS'})`,
  );
}

if (isEntry(import.meta.url)) await main();
