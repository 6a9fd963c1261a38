/**
 * Which WebGPU adapter a worker uses. Dawn (the `webgpu` npm package) enumerates the adapters of one
 * backend (Vulkan on Linux) in the driver's order and takes the first whose name contains its
 * `adapter=` flag, or simply the first: it has no way to ask for "the N-th GPU". fairsweep makes the
 * choice explicit: it lists the adapters (Dawn names them all when a name matches none), and
 * `--gpu N` takes the N-th of that list by its name when the name is unique. Identical GPUs share a
 * name, so there the N-th cannot be told apart: a worker for GPU N > 0 must be given that GPU alone
 * (one GPU per container or pod: NVIDIA_VISIBLE_DEVICES=N, the Kubernetes device plugin) and then
 * sees it as its only adapter.
 */

/** One adapter as Dawn reports it. */
export interface DawnAdapter {
  backend: string;
  name: string;
}

/** No adapter can be chosen for what was asked, with the reason and what to do. */
export class GpuSelectionError extends Error {
  override name = 'GpuSelectionError';
}

/** A name no adapter has: asking for it makes Dawn list every adapter in its error. */
export const NO_SUCH_ADAPTER = '\u0001fairsweep-list-adapters';

/**
 * The adapters in Dawn's "no adapter ... found\nAvailable adapters:\n * backend: 'vulkan', name: 'NVIDIA H200'"
 * error, in Dawn's order; [] when the message has no such list.
 */
export function parseAdapterList(message: string): DawnAdapter[] {
  const out: DawnAdapter[] = [];
  const at = message.indexOf('Available adapters:');
  if (at < 0) return out;
  for (const line of message.slice(at).split('\n').slice(1)) {
    const m = /^\s*\*\s*backend:\s*'([^']*)',\s*name:\s*'(.*)'\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.push({ backend: m[1], name: m[2] });
  }
  return out;
}

/** What to pass Dawn: the `adapter=` name that selects the chosen adapter (none when Dawn's first is the one). */
export interface AdapterChoice {
  adapter: DawnAdapter;
  /** Dawn's `adapter=` flag value, when one is needed. */
  nameFilter?: string;
}

/**
 * The adapter for `--gpu gpu` (or an explicit `--gpu-adapter` name substring) among `adapters`.
 * - a name substring: the first adapter whose name contains it, as Dawn does; none → an error listing them;
 * - GPU N with one adapter visible: that adapter (the GPU was isolated for this worker);
 * - GPU N with several: the N-th, selected by its name, which must be unique among them.
 */
export function chooseAdapter(adapters: readonly DawnAdapter[], want: { gpu?: number; name?: string }): AdapterChoice {
  const listed = adapters.map((a) => `'${a.name}' (${a.backend})`).join(', ');
  if (adapters.length === 0) throw new GpuSelectionError('no GPU adapter: Dawn found no device');
  if (want.name !== undefined) {
    const hit = adapters.find((a) => a.name.includes(want.name ?? ''));
    if (!hit) throw new GpuSelectionError(`--gpu-adapter ${JSON.stringify(want.name)} matches no adapter; Dawn sees ${listed}`);
    return { adapter: hit, nameFilter: want.name };
  }
  const [first] = adapters;
  if (!first) throw new GpuSelectionError('no GPU adapter: Dawn found no device');
  const n = want.gpu ?? 0;
  if (adapters.length === 1) return { adapter: first };
  const chosen = adapters[n];
  if (!chosen) throw new GpuSelectionError(`--gpu ${n}: Dawn sees ${adapters.length} adapters (${listed}), numbered from 0`);
  const same = adapters.filter((a) => a.name === chosen.name).length;
  if (same > 1) {
    if (n === 0) return { adapter: chosen };
    throw new GpuSelectionError(
      `--gpu ${n}: Dawn sees ${same} adapters named '${chosen.name}' and cannot tell which is number ${n}; give this worker that GPU alone ` +
        `(NVIDIA_VISIBLE_DEVICES=${n} in its container, or one GPU per pod) and pass --gpu 0`,
    );
  }
  return n === 0 ? { adapter: chosen } : { adapter: chosen, nameFilter: chosen.name };
}

