import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Backend, BackendName } from './backend-types.js';
import { loadWebgpu } from './webgpu/load-webgpu.js';

export type { Backend, BackendName } from './backend-types.js';

/** No backend of the ones asked for could be loaded. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export interface LoadBackendOptions {
  /** GPU index: tries webgpu, then @tensorflow/tfjs-node-gpu, first. */
  gpu?: number;
  /** A substring of the WebGPU adapter's name, instead of an index (Dawn's `adapter=` flag). */
  gpuAdapter?: string;
  /** Extra Dawn flags for the webgpu backend (`key=value`). */
  dawnFlags?: readonly string[];
  /** Backends to try, in order (one forces it); default: BACKEND_ORDER. */
  prefer?: readonly BackendName[];
  /** Told why each backend tried before the one loaded was unavailable; `warn` for a GPU backend. */
  log?: (msg: string, level: 'info' | 'warn') => void;
}

let loading: Promise<Backend> | undefined;

/**
 * Loads the best tfjs backend available (or the first of `prefer` that loads), once per process:
 * tfjs has one active backend per process, so the first call's options decide it.
 * The tfjs-node packages are optional (their install downloads libtensorflow) and loaded dynamically.
 */
export function loadBackend(options: LoadBackendOptions = {}): Promise<Backend> {
  loading ??= load(options);
  return loading;
}

/** The backends tried, best first: with a GPU (`--gpu` or `--gpu-adapter`) the GPU ones lead. */
export function backendOrder(options: Pick<LoadBackendOptions, 'gpu' | 'gpuAdapter' | 'prefer'>): readonly BackendName[] {
  if (options.prefer) return options.prefer;
  const gpu = options.gpu !== undefined || options.gpuAdapter !== undefined;
  return gpu ? ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : ['tensorflow', 'wasm', 'cpu'];
}

async function load(options: LoadBackendOptions): Promise<Backend> {
  const order = backendOrder(options);
  const reasons: string[] = [];
  for (const name of order) {
    try {
      return await tryLoad(name, options);
    } catch (err) {
      reasons.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      options.log?.(`backend ${name} unavailable: ${reasons.at(-1)}`, name === 'webgpu' || name === 'tensorflow-gpu' ? 'warn' : 'info');
    }
  }
  loading = undefined;
  throw new BackendUnavailableError(order.length === 1 ? (reasons[0] ?? `backend ${order[0]} unavailable`) : `no tfjs backend could be loaded (${reasons.join('; ')})`);
}

async function tryLoad(name: BackendName, options: LoadBackendOptions): Promise<Backend> {
  const tf = await import('@tensorflow/tfjs');
  const gpu = options.gpu;
  let device = '';
  let binding: number | undefined;
  switch (name) {
    case 'webgpu': {
      const loaded = await loadWebgpu(tf, { ...(gpu !== undefined ? { gpu } : {}), ...(options.gpuAdapter !== undefined ? { adapterName: options.gpuAdapter } : {}), ...(options.dawnFlags ? { dawnFlags: options.dawnFlags } : {}) });
      device = loaded.device;
      binding = loaded.maxStorageBufferBindingSize;
      break;
    }
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // libtensorflow picks its GPUs from this process's environment when it loads, and reads
      // nothing else: setting CUDA_VISIBLE_DEVICES before the import is how a worker selects
      // its GPU (unless the environment already chose one).
      if (name === 'tensorflow-gpu' && gpu !== undefined) process.env.CUDA_VISIBLE_DEVICES ??= String(gpu);
      // A string typed as such, not a literal: these optional packages may be absent at build time.
      const pkg: string = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      await import(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialise`);
      break;
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
      break;
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
      break;
  }
  await tf.ready();
  if (name === 'tensorflow-gpu') device = `CUDA device ${gpu ?? 0}`;
  return { name, gpu: name === 'webgpu' || name === 'tensorflow-gpu' ? (gpu ?? 0) : -1, device, tf, ...(binding !== undefined ? { maxStorageBufferBindingSize: binding } : {}) };
}
