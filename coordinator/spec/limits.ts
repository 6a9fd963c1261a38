import { CST, Lexer, Parser } from 'yaml';
import type { Param } from '../../proto/index.js';
import { SpecError } from '../errors.js';

/**
 * The limits every spec is checked against before any work is done on it: before YAML is turned
 * into objects, before the grid is expanded, before anything is stored or published. Each refusal
 * is a SpecError naming the path of the value (or the line, for YAML nesting) and the limit.
 *
 * Why these values:
 * - a sweep's record (the spec text and the spec with its grid expanded) is one JetStream KV value,
 *   and a shard (its trials' params) one JetStream message: both must stay under NATS's
 *   `max_payload`, 1 MiB by default. 256 KiB of text + 512 KiB of values + a few bytes of record
 *   fit; a shard's bound is checked from its trials' largest params;
 * - a list nested 8 deep is 2 × 8 protobuf messages (ParamValue, ParamList) inside at most 6 others
 *   (WatchResponse, TrialResult, a map entry...): 22 levels, well inside the 100 that protobuf
 *   decoders (protobuf-es, C++, Go, Java) allow before they refuse a message;
 * - a YAML document nested deeper than 16 collections is no sweep (the deepest a spec needs is
 *   `grid.KEY.product[i][j]` holding an 8-deep value: 14).
 */
export const SPEC_LIMITS = Object.freeze({
  /** UTF-8 bytes of the spec text. */
  specBytes: 256 * 1024,
  /** Collections (mappings, lists) nested in one another anywhere in the YAML. */
  yamlDepth: 16,
  /** Lists nested in one another in one param value: `[[1, 2]]` is 2 deep, a number 0. */
  paramDepth: 8,
  /** Elements of one list inside a param value. */
  listLength: 4096,
  /** Characters of one string anywhere in the spec, keys included. */
  stringLength: 1024,
  /** Keys of `grid`. */
  gridAxes: 32,
  /** Values of all grid axes together, `{product}` and `{linspace}` counted expanded. */
  gridValues: 100_000,
  /** Encoded (protobuf) bytes of params, dataset options, the expanded grid and search choices together. */
  valueBytes: 512 * 1024,
  /** Encoded bytes of one trial's params (fixed params, one value per axis, one sample). */
  trialParamsBytes: 16 * 1024,
  /** Encoded bytes of one shard message: its dataset options and shard size × (a trial's params + its ids, seed, index). */
  shardBytes: 768 * 1024,
});

export type SpecLimitName = keyof typeof SPEC_LIMITS;

/** Bytes a trial adds to a shard besides its params: its id (25 characters), sweep id (up to 63), seed, index, tags. */
export const TRIAL_OVERHEAD_BYTES = 128;
/** Bytes of a shard besides its trials and dataset options: shard id, sweep id, method, tags. */
export const SHARD_OVERHEAD_BYTES = 256;

const KIB = 1024;
/** `262144 bytes (256 KiB)`: a limit as the error messages say it. */
export function bytesText(n: number): string {
  return n >= KIB && n % KIB === 0 ? `${n} bytes (${n / KIB} KiB)` : `${n} bytes`;
}

/** Refuses spec text over SPEC_LIMITS.specBytes; measured without copying the text. */
export function checkSpecSize(text: string): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no exact count.
  if (text.length * 3 <= SPEC_LIMITS.specBytes) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > SPEC_LIMITS.specBytes) throw SpecError.at('', `the spec is ${bytes} bytes, more than the limit of ${bytesText(SPEC_LIMITS.specBytes)}`);
}

/**
 * The deepest nesting the YAML parser is given at all: the token scan stops at the first point past it.
 * The parser recurses on collections opened on one line (`[[[`, `- - -`), and composing a document
 * recurses on every level: 20,000 nested `[` are enough to exhaust the process.
 */
const PARSER_NESTING_GUARD = 64;

/**
 * Refuses YAML whose collections nest deeper than SPEC_LIMITS.yamlDepth, before the document is
 * composed into objects. First the token stream (flat, linear): flow collections open and block
 * indicators on one line past PARSER_NESTING_GUARD stop it at once; then the CST, walked without
 * recursion, names the path of the first collection too deep.
 */
export function checkYamlDepth(text: string): void {
  let flow = 0;
  let onLine = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') flow++;
    else if (token === ']' || token === '}') flow--;
    // Outside flow collections these open a block collection each (`- - - 1`, `? - a`).
    else if (flow === 0 && (token === '-' || token === '?' || token === ':')) onLine++;
    else if (token === '\n') onLine = 0;
    if (flow + onLine > PARSER_NESTING_GUARD) throw tooDeep(text, offset);
    // The lexer's markers (document start, scalar, flow end) are one control character not in the text.
    if (!(token.length === 1 && token < ' ' && token !== '\n' && token !== '\t' && token !== '\r')) offset += token.length;
  }
  const stack: { token: CST.Token; depth: number; path: readonly PropertyKey[] }[] = [];
  for (const token of new Parser().parse(text)) stack.push({ token, depth: 0, path: [] });
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { token, path } = item;
    if (token.type === 'document') {
      if (token.value) stack.push({ token: token.value, depth: 0, path });
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    const depth = item.depth + 1;
    if (depth > SPEC_LIMITS.yamlDepth) throw tooDeep(text, token.offset, path);
    token.items.forEach((it, i) => {
      const key = 'key' in it && it.key ? it.key : undefined;
      const segment = key ? String(CST.resolveAsScalar(key, true, () => undefined)?.value ?? '?') : i;
      if (key) stack.push({ token: key, depth, path });
      if (it.value) stack.push({ token: it.value, depth, path: [...path, segment] });
    });
  }
}

function tooDeep(text: string, offset: number, path: readonly PropertyKey[] = []): SpecError {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return SpecError.at(pathText(path), `YAML nested deeper than the limit of ${SPEC_LIMITS.yamlDepth} levels (line ${line}, column ${column})`);
}

/**
 * Walks parsed spec data (without recursion) and refuses it where it nests deeper than
 * SPEC_LIMITS.yamlDepth (aliases can deepen what the text shows) or holds a string, or a key, longer
 * than SPEC_LIMITS.stringLength. Errors name the path.
 */
export function checkSpecData(data: unknown): void {
  const stack: { value: unknown; path: readonly PropertyKey[]; depth: number }[] = [{ value: data, path: [], depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, path, depth } = item;
    if (typeof value === 'string') {
      if (value.length > SPEC_LIMITS.stringLength) throw SpecError.at(pathText(path), `a string of ${value.length} characters, more than the limit of ${SPEC_LIMITS.stringLength}`);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > SPEC_LIMITS.yamlDepth) throw SpecError.at(pathText(path), `nested deeper than the limit of ${SPEC_LIMITS.yamlDepth} levels`);
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: [...path, i], depth: depth + 1 }));
      continue;
    }
    for (const [k, v] of Object.entries(value)) {
      if (k.length > SPEC_LIMITS.stringLength) throw SpecError.at(pathText(path), `a key of ${k.length} characters, more than the limit of ${SPEC_LIMITS.stringLength}`);
      stack.push({ value: v, path: [...path, k], depth: depth + 1 });
    }
  }
}

/** `grid.c.product[2]` from path segments. */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${String(seg)}` : String(seg);
  return out;
}

/**
 * Refuses a param value (a fixed param, a grid value, a dataset option, a search choice) whose
 * lists nest deeper than `maxDepth` (SPEC_LIMITS.paramDepth, less where the spec adds a level
 * itself: a `{product}` vector, a `repeat`) or hold more than SPEC_LIMITS.listLength elements.
 */
export function checkParamValue(value: Param, path: string, maxDepth: number = SPEC_LIMITS.paramDepth): void {
  const stack: { value: Param; path: string; depth: number }[] = [{ value, path, depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (!Array.isArray(item.value)) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) {
      const added = SPEC_LIMITS.paramDepth - maxDepth;
      throw SpecError.at(path, `lists nested more than ${maxDepth} deep (at ${item.path}); the limit is ${SPEC_LIMITS.paramDepth}${added > 0 ? `, of which the spec's own form takes ${added}` : ''}`);
    }
    if (item.value.length > SPEC_LIMITS.listLength) throw SpecError.at(item.path, `a list of ${item.value.length} values, more than the limit of ${SPEC_LIMITS.listLength}`);
    item.value.forEach((v, i) => stack.push({ value: v, path: `${item.path}[${i}]`, depth }));
  }
}

/** Bytes of a protobuf length prefix. */
function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

/** Encoded bytes of a value as a `ParamValue` message (after checkParamValue: bounded depth). */
export function paramValueBytes(p: Param): number {
  if (typeof p === 'number') return 9;
  if (typeof p === 'boolean') return 2;
  if (typeof p === 'string') return fieldBytes(Buffer.byteLength(p, 'utf8'));
  let list = 0;
  for (const v of p) list += fieldBytes(paramValueBytes(v));
  // The `list` field of the ParamValue: a ParamList, its repeated values.
  return fieldBytes(list);
}

/** Bytes of a length-delimited field holding `n` bytes: tag, length, payload. */
export function fieldBytes(n: number): number {
  return 1 + varintBytes(n) + n;
}

/** Encoded bytes of a `map<string, ParamValue>` entry. */
export function entryBytes(key: string, value: Param): number {
  return fieldBytes(fieldBytes(Buffer.byteLength(key, 'utf8')) + fieldBytes(paramValueBytes(value)));
}
