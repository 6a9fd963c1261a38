import test from 'ava';
import { credentials } from '@grpc/grpc-js';
import { CoordinatorServer } from '../coordinator/index.js';
import type { NatsServer } from '../common/index.js';
import { TrialStatus, WorkerServiceClient, type WorkerInfo } from '../proto/index.js';
import { backendOrder } from '../worker/backend.js';
import { GpuSelectionError, NO_SUCH_ADAPTER, chooseAdapter, parseAdapterList, type DawnAdapter } from '../worker/webgpu/adapters.js';
import { noAdapterHelp } from '../worker/webgpu/load-webgpu.js';
import { eventually, spawnCli, startNats, uniqueName, type CliProcess } from './helpers/cluster.js';

// What dawn.node (the `webgpu` package) rejects with when no adapter has the name asked for.
const DAWN_LIST = "no adapter with backend 'vulkan' and name 'x' found\nAvailable adapters:\n * backend: 'vulkan', name: 'NVIDIA H200'\n * backend: 'vulkan', name: 'NVIDIA H200'\n * backend: 'vulkan', name: 'NVIDIA L4'";
const h200: DawnAdapter = { backend: 'vulkan', name: 'NVIDIA H200' };
const l4: DawnAdapter = { backend: 'vulkan', name: 'NVIDIA L4' };

test("Dawn's adapter list is read in Dawn's order; a message without one gives none", (t) => {
  t.deepEqual(parseAdapterList(DAWN_LIST), [h200, h200, l4]);
  t.deepEqual(parseAdapterList("no adapter with backend 'null' and name 'x' found\nAvailable adapters:\n * backend: 'null', name: 'Null backend'"), [{ backend: 'null', name: 'Null backend' }]);
  t.deepEqual(parseAdapterList('unrecognised backend'), []);
});

test('--gpu N: the only adapter a worker sees is its GPU; among several, the N-th by its unique name', (t) => {
  t.deepEqual(chooseAdapter([h200], { gpu: 3 }), { adapter: h200 }, 'an isolated GPU (one per container) is adapter 0 whatever N');
  t.deepEqual(chooseAdapter([l4, h200], { gpu: 0 }), { adapter: l4 }, "Dawn's first needs no flag");
  t.deepEqual(chooseAdapter([l4, h200], { gpu: 1 }), { adapter: h200, nameFilter: 'NVIDIA H200' });
  t.deepEqual(chooseAdapter([h200, h200], { gpu: 0 }), { adapter: h200 }, 'the first of identical GPUs is the one Dawn takes');
  t.deepEqual(chooseAdapter([h200, l4], { name: 'L4' }), { adapter: l4, nameFilter: 'L4' });
  t.deepEqual(chooseAdapter([h200], {}), { adapter: h200 });
});

test('a GPU that cannot be chosen is an error saying why and what to do', (t) => {
  const identical = t.throws(() => chooseAdapter([h200, h200, l4], { gpu: 1 }), { instanceOf: GpuSelectionError });
  t.regex(identical.message, /2 adapters named 'NVIDIA H200'.*NVIDIA_VISIBLE_DEVICES=1.*--gpu 0/);
  const range = t.throws(() => chooseAdapter([h200, l4], { gpu: 2 }), { instanceOf: GpuSelectionError });
  t.regex(range.message, /--gpu 2: Dawn sees 2 adapters \('NVIDIA H200' \(vulkan\), 'NVIDIA L4' \(vulkan\)\), numbered from 0/);
  const name = t.throws(() => chooseAdapter([h200], { name: 'A100' }), { instanceOf: GpuSelectionError });
  t.regex(name.message, /--gpu-adapter "A100" matches no adapter; Dawn sees 'NVIDIA H200'/);
  t.throws(() => chooseAdapter([], { gpu: 0 }), { instanceOf: GpuSelectionError, message: /no GPU adapter/ });
});

test('backend order: GPU backends first only when a GPU is asked for; --backend forces one', (t) => {
  t.deepEqual(backendOrder({ gpu: 0 }), ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
  t.deepEqual(backendOrder({ gpuAdapter: 'H200' }), ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
  t.deepEqual(backendOrder({}), ['tensorflow', 'wasm', 'cpu']);
  t.deepEqual(backendOrder({ gpu: 0, prefer: ['cpu'] }), ['cpu']);
});

test('no adapter: the error names the Vulkan loader, the ICD, the container setting and how to check', (t) => {
  t.regex(noAdapterHelp(false), /libvulkan\.so\.1\) is not installed: apt-get install libvulkan1/);
  t.notRegex(noAdapterHelp(true), /not installed/);
  t.regex(noAdapterHelp(true), /Vulkan ICD.*NVIDIA_DRIVER_CAPABILITIES must include graphics.*vulkaninfo --summary/);
  t.false(NO_SUCH_ADAPTER.includes("'"), 'the listing name cannot end the quoted name early');
});

// Real dawn.node: its `null` backend gives an adapter ('null-backend') on any machine, so the whole
// path (listing, choice, device, tfjs registration) runs without a GPU; `d3d12` gives none on Linux.
let nats: NatsServer;
let server: CoordinatorServer;
const procs: CliProcess[] = [];
test.before(async () => {
  nats = await startNats();
  server = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: null });
});
test.after.always(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await server?.close();
  await nats?.stop();
});

function worker(args: string[], dawnFlags: string): CliProcess {
  const p = spawnCli(['worker', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', '127.0.0.1:0', ...args], { FAIRSWEEP_DAWN_FLAGS: dawnFlags, FAIRSWEEP_LOG_LEVEL: 'info' });
  procs.push(p);
  return p;
}

test.serial('--gpu 0 on a Dawn adapter: backend webgpu, its name in Describe, in every result and in the metrics', async (t) => {
  const w = worker(['--gpu', '0'], 'backend=null');
  await w.waitFor(/worker \S+ running backend=webgpu device="null-backend"/, 60_000);
  const grpc = (await w.waitFor(/grpc=(\d+)/))[1];
  const metricsPort = (await w.waitFor(/metrics=(\d+)/))[1];
  const wc = new WorkerServiceClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
  t.teardown(() => wc.close());
  const d = await new Promise<{ worker?: WorkerInfo }>((resolve, reject) => wc.describe({}, (e, r) => (e ? reject(e) : resolve(r))));
  t.like(d.worker, { backend: 'webgpu', gpu: 0, device: 'null-backend' });
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  t.regex(metrics, /fairsweep_worker_backend_info\{backend="webgpu",device="null-backend",gpu="0"\} 1/);
  const c = server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('webgpu')}\nmethod: sleep\nparams: { duration_ms: 1 }\ngrid: { x: [1, 2, 3] }\nobjectives: [{ metric: score, goal: max }]\n`);
  const sweep = c.sweep(sweepId);
  await eventually(() => sweep.finished, 30_000, 'the sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 3);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK && r.backend === 'webgpu' && r.device === 'null-backend'));
  await w.kill('SIGTERM');
});

test.serial('--backend webgpu where Dawn has no adapter: the worker exits 1 with what is missing and how to check', async (t) => {
  const w = worker(['--backend', 'webgpu', '--gpu', '0'], 'backend=d3d12');
  const exit = await w.exited;
  t.is(exit.code, 1);
  t.regex(w.output, /fairsweep: error: webgpu: Dawn found no GPU adapter\..*vulkaninfo --summary/);
});

test.serial('--gpu 0 where Dawn has no adapter falls back to the CPU backends, saying why', async (t) => {
  const w = worker(['--gpu', '0'], 'backend=d3d12');
  await w.waitFor(/worker \S+ running backend=(wasm|cpu|tensorflow) slots/, 60_000);
  t.regex(w.output, /"level":"warn","msg":"backend webgpu unavailable: webgpu: Dawn found no GPU adapter/);
  t.notRegex(w.output, /device=/);
  await w.kill('SIGTERM');
});
