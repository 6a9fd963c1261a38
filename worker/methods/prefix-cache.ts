import { createHash } from 'node:crypto';
import { canonicalJson, type Param } from '../../proto/index.js';

/** Default bound of a worker's prefix cache (bytes of cached parameters). */
export const DEFAULT_PREFIX_CACHE_BYTES = 256 * 1024 * 1024;

export interface PrefixCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  bytes: number;
  entries: number;
}

interface Entry<T> {
  value: Promise<T>;
  bytes: number;
}

/**
 * The expensive shared part of trials (a base model, subgroup fine-tunes), computed once per
 * worker and reused by every trial with the same config: keyed by a content hash of that config,
 * bounded in bytes, least recently used evicted first. Values are plain arrays (no backend
 * tensors), so eviction frees memory without disposing anything. Concurrent requests for the same
 * key share one computation. Disabled, each trial computes its own prefix.
 */
export class PrefixCache {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly stats: PrefixCacheStats = { hits: 0, misses: 0, evictions: 0, bytes: 0, entries: 0 };

  constructor(
    private readonly maxBytes = DEFAULT_PREFIX_CACHE_BYTES,
    private enabled = true,
  ) {}

  /** A stable hash of a prefix config; entries whose value is undefined are left out. */
  static key(config: Record<string, Param | undefined>): string {
    const clean: Record<string, Param> = {};
    for (const [k, v] of Object.entries(config)) if (v !== undefined) clean[k] = v;
    return createHash('sha256').update(canonicalJson(clean)).digest('hex').slice(0, 32);
  }

  async get<T>(key: string, compute: () => Promise<T>, sizeOf: (v: T) => number): Promise<T> {
    if (!this.enabled) {
      this.stats.misses++;
      return compute();
    }
    const hit = this.entries.get(key);
    if (hit) {
      this.stats.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      // The key hashes the whole config that produced the value, so one key only ever holds a T.
      return hit.value as Promise<T>;
    }
    this.stats.misses++;
    const entry: Entry<T> = { value: compute(), bytes: 0 };
    this.entries.set(key, entry);
    try {
      const v = await entry.value;
      entry.bytes = sizeOf(v);
      this.stats.bytes += entry.bytes;
      this.evict(key);
      return v;
    } catch (err) {
      this.entries.delete(key); // a failed computation is not cached
      throw err;
    }
  }

  private evict(keep: string): void {
    for (const [k, e] of this.entries) {
      if (this.stats.bytes <= this.maxBytes) break;
      if (k === keep) continue;
      this.entries.delete(k);
      this.stats.bytes -= e.bytes;
      this.stats.evictions++;
    }
  }

  snapshot(): PrefixCacheStats {
    return { ...this.stats, entries: this.entries.size };
  }

  /** Turns caching on or off (benchmarks compare both in one process). */
  setEnabled(on: boolean): void {
    this.enabled = on;
  }

  clear(): void {
    this.entries.clear();
    this.stats.bytes = 0;
  }
}

/**
 * The cache of trials run without a worker's own (TrialRuntime.prefixCache unset: method tests and
 * benchmarks calling a method directly), with the default bound.
 */
export const prefixCache = new PrefixCache();
