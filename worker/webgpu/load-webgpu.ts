import { existsSync } from 'node:fs';
import type * as tfType from '@tensorflow/tfjs';
import { GpuSelectionError, NO_SUCH_ADAPTER, chooseAdapter, parseAdapterList, type DawnAdapter } from './adapters.js';

/**
 * The webgpu backend: tfjs's WebGPU kernels (`@tensorflow/tfjs-backend-webgpu`) on Dawn's Node
 * binding (`webgpu`, which ships `dawn.node` for each platform inside the package). Both are
 * optional dependencies, loaded only here. fairsweep registers the tfjs backend itself, on the
 * adapter it chose (adapters.ts), instead of letting the package take `navigator.gpu`'s first.
 */

export interface WebgpuOptions {
  /** GPU index among Dawn's adapters (see chooseAdapter). */
  gpu?: number;
  /** A substring of the adapter's name (Dawn's `adapter=` flag), instead of an index. */
  adapterName?: string;
  /** Extra Dawn flags, `key=value` (e.g. `backend=null` for Dawn's no-op device in tests, `enable-dawn-features=...`). */
  dawnFlags?: readonly string[];
}

/** The package is installed but no adapter is there, or none can be chosen: what is missing and how to check. */
export class WebgpuUnavailableError extends Error {
  override name = 'WebgpuUnavailableError';
}

interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, unknown>;
  readonly info?: { device?: string; description?: string };
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}

interface GpuLike {
  requestAdapter(options: { powerPreference: 'high-performance' }): Promise<GpuAdapterLike | null>;
}

type Create = (flags: string[]) => GpuLike;
type BackendClass = new (device: unknown, adapterInfo: unknown) => tfType.KernelBackend;

/** Kept for the life of the process: Dawn's instance lives as long as its GPU object is referenced. */
const inUse: GpuLike[] = [];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Limits tfjs asks for (as its own registration does): the adapter's own, so large buffers are allowed. */
const LIMITS = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];

/** Where libvulkan.so.1 usually is; none of them → say so (Dawn only warns on stderr). */
const VULKAN_LOADER_PATHS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1', '/usr/local/lib/libvulkan.so.1'];

/** The help printed when Dawn sees no adapter at all. */
export function noAdapterHelp(vulkanLoaderFound: boolean): string {
  return [
    'Dawn found no GPU adapter.',
    vulkanLoaderFound ? '' : ' The Vulkan loader (libvulkan.so.1) is not installed: apt-get install libvulkan1.',
    " Dawn needs the Vulkan loader and the GPU driver's Vulkan ICD (NVIDIA: nvidia_icd.json, found through VK_DRIVER_FILES or /usr/share/vulkan/icd.d;",
    ' in containers NVIDIA_DRIVER_CAPABILITIES must include graphics, not only compute,utility).',
    ' Check with `vulkaninfo --summary` (Debian package vulkan-tools). Without a GPU, start the worker without --gpu to use the CPU backends.',
  ].join('');
}

async function importOptional(pkg: string): Promise<Record<string, unknown>> {
  let mod: unknown;
  try {
    mod = await import(pkg);
  } catch (err) {
    throw new WebgpuUnavailableError(`the optional package ${pkg} is not installed or does not load on this platform (npm install webgpu @tensorflow/tfjs-backend-webgpu): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (!isRecord(mod)) throw new WebgpuUnavailableError(`${pkg} exports nothing`);
  return mod;
}

function isBackendClass(v: unknown): v is BackendClass {
  return typeof v === 'function';
}

function isGpuLike(v: unknown): v is GpuLike {
  return isRecord(v) && typeof v.requestAdapter === 'function';
}

/** Dawn's adapters for these flags, in its order (its error names them all when asked for a name none has). */
async function listAdapters(create: Create, flags: readonly string[]): Promise<DawnAdapter[]> {
  try {
    const a = await create([...flags, `adapter=${NO_SUCH_ADAPTER}`]).requestAdapter({ powerPreference: 'high-performance' });
    // Resolved: no adapter at all (no Vulkan device), or a Dawn that ignores the flag.
    return a ? [{ backend: '', name: a.info?.device ?? '' }] : [];
  } catch (err) {
    const listed = parseAdapterList(err instanceof Error ? err.message : String(err));
    if (listed.length === 0) throw new WebgpuUnavailableError(`Dawn did not list its adapters: ${String(err)}`);
    return listed;
  }
}

/**
 * Loads the webgpu backend on the chosen adapter and makes it tfjs's active backend. Returns the
 * adapter's name. Throws WebgpuUnavailableError (no package, no adapter, no choice) with what to do.
 */
export async function loadWebgpu(tf: typeof tfType, options: WebgpuOptions): Promise<{ device: string; maxStorageBufferBindingSize?: number }> {
  const flags = (options.dawnFlags ?? []).filter((f) => !f.startsWith('adapter='));
  const dawn = await importOptional('webgpu');
  // Imported before navigator.gpu exists, so the package registers its kernels but not a backend of its own.
  const tfWebgpu = await importOptional('@tensorflow/tfjs-backend-webgpu');
  const create = dawn.create;
  const WebGPUBackend = tfWebgpu.WebGPUBackend;
  if (typeof create !== 'function' || !isBackendClass(WebGPUBackend)) throw new WebgpuUnavailableError('unexpected exports of webgpu / @tensorflow/tfjs-backend-webgpu');
  const createGpu: Create = (f) => {
    const gpu: unknown = create(f);
    if (!isGpuLike(gpu)) throw new WebgpuUnavailableError('create() did not return a GPU');
    return gpu;
  };
  // GPUBufferUsage, GPUMapMode, ... which tfjs's kernels read as globals.
  if (isRecord(dawn.globals)) for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });

  const adapters = await listAdapters(createGpu, flags);
  if (adapters.length === 0) throw new WebgpuUnavailableError(noAdapterHelp(VULKAN_LOADER_PATHS.some((p) => existsSync(p))));
  let choice;
  try {
    choice = chooseAdapter(adapters, { ...(options.gpu !== undefined ? { gpu: options.gpu } : {}), ...(options.adapterName !== undefined ? { name: options.adapterName } : {}) });
  } catch (err) {
    throw err instanceof GpuSelectionError ? new WebgpuUnavailableError(`${err.message}`) : err;
  }
  const gpu = createGpu([...flags, ...(choice.nameFilter !== undefined ? [`adapter=${choice.nameFilter}`] : [])]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebgpuUnavailableError(`the adapter '${choice.adapter.name}' listed by Dawn could not be opened`);
  inUse.push(gpu);
  // tfjs's WebGPUBackend checks navigator.gpu when constructed.
  const nav: unknown = Reflect.get(globalThis, 'navigator');
  if (isRecord(nav)) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });

  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  // Feature names as strings (tfjs's own registration passes one inside an array).
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => new WebGPUBackend(await adapter.requestDevice({ requiredFeatures, requiredLimits }), adapter.info));
  if (!(await tf.setBackend('webgpu'))) throw new WebgpuUnavailableError(`the backend did not initialise on '${choice.adapter.name}'`);
  const binding = requiredLimits.maxStorageBufferBindingSize;
  return { device: adapter.info?.device || choice.adapter.name, ...(binding !== undefined ? { maxStorageBufferBindingSize: binding } : {}) };
}

