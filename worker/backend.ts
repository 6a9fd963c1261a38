import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Backend, BackendName } from './backend-types.js';

export type { Backend, BackendName } from './backend-types.js';

/** No backend of the ones asked for could be loaded. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export interface LoadBackendOptions {
  /** GPU index: tries @tensorflow/tfjs-node-gpu first. */
  gpu?: number;
  /** Backends to try, in order (one forces it); default: (tensorflow-gpu when gpu is set) → tensorflow → wasm → cpu. */
  prefer?: readonly BackendName[];
  log?: (msg: string) => void;
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

async function load(options: LoadBackendOptions): Promise<Backend> {
  const order: readonly BackendName[] = options.prefer ?? (options.gpu !== undefined ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : ['tensorflow', 'wasm', 'cpu']);
  const reasons: string[] = [];
  for (const name of order) {
    try {
      return await tryLoad(name, options.gpu);
    } catch (err) {
      reasons.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      options.log?.(`backend ${name} unavailable: ${reasons.at(-1)}`);
    }
  }
  loading = undefined;
  throw new BackendUnavailableError(`no tfjs backend could be loaded (${reasons.join('; ')})`);
}

async function tryLoad(name: BackendName, gpu: number | undefined): Promise<Backend> {
  const tf = await import('@tensorflow/tfjs');
  switch (name) {
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
  return { name, gpu: name === 'tensorflow-gpu' ? (gpu ?? 0) : -1, tf };
}
