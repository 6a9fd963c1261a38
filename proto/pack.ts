/**
 * The `pack` field of Shard and SweepSpec (a spec's `pack: auto | off | K`), one number on the
 * wire: 0 auto, 1 off, K ≥ 2 at most K trials per pack. 0 is also what a shard from an older
 * coordinator carries, so it gets the default.
 */
export const PACK_AUTO = 0;
export const PACK_OFF = 1;

/** What a spec's `pack` asks the worker for. */
export type PackSetting = { mode: 'auto' } | { mode: 'off' } | { mode: 'max'; k: number };

/** The wire number of a spec's `pack` value. */
export function packNumber(value: 'auto' | 'off' | number): number {
  if (value === 'auto') return PACK_AUTO;
  if (value === 'off') return PACK_OFF;
  return value;
}

/** The setting a shard's `pack` number stands for (`pack: 1` is the same as `off`). */
export function packSetting(n: number): PackSetting {
  if (n === PACK_AUTO) return { mode: 'auto' };
  if (n <= PACK_OFF) return { mode: 'off' };
  return { mode: 'max', k: n };
}

/** The spec text of a wire number: `auto`, `off` or K. */
export function packText(n: number): string {
  const s = packSetting(n);
  return s.mode === 'max' ? String(s.k) : s.mode;
}
