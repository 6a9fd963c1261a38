import type { ParamValue } from './gen/fairsweep/v1/types.js';

/** A hyperparameter value as user code sees it. */
export type Param = number | string | boolean | Param[];
export type Params = Record<string, Param>;

export function toParamValue(p: Param): ParamValue {
  if (Array.isArray(p)) return { kind: { $case: 'list', value: { values: p.map(toParamValue) } } };
  switch (typeof p) {
    case 'number':
      return { kind: { $case: 'number', value: p } };
    case 'string':
      return { kind: { $case: 'text', value: p } };
    default:
      return { kind: { $case: 'flag', value: p } };
  }
}

/** Decodes a wire value; a value with no kind set (malformed or empty) is an error. */
export function fromParamValue(v: ParamValue): Param {
  const k = v.kind;
  if (k === undefined) throw new TypeError('parameter value has no kind set');
  switch (k.$case) {
    case 'number':
    case 'text':
    case 'flag':
      return k.value;
    case 'list':
      return k.value.values.map(fromParamValue);
  }
}

export function toParamMap(p: Params): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(p)) out[k] = toParamValue(v);
  return out;
}

export function fromParamMap(m: Record<string, ParamValue>): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(m)) out[k] = fromParamValue(v);
  return out;
}

/** JSON with object keys sorted at every depth: the canonical form hashed into trial ids. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
  return JSON.stringify(value);
}
