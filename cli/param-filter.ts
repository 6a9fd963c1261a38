import type { Param, Params } from '../proto/index.js';
import { canonicalJson } from '../proto/index.js';
import { CliError } from './cli-error.js';

/** `KEY=VALUE` pairs; VALUE is read as JSON when it parses (0, true, [1, 2], "x"), else as a string. */
export function parseAssignments(text: string, flag: string): Params {
  const out: Params = {};
  for (const part of text.split(/,(?![^[]*\])/)) {
    const i = part.indexOf('=');
    const key = part.slice(0, i).trim();
    if (i <= 0 || !key) throw new CliError(`${flag}: expected KEY=VALUE[,KEY=VALUE...], got "${text}"`);
    const raw = part.slice(i + 1).trim();
    let value: Param;
    try {
      const parsed: unknown = JSON.parse(raw);
      value = isParam(parsed) ? parsed : raw;
    } catch {
      value = raw;
    }
    out[key] = value;
  }
  return out;
}

function isParam(v: unknown): v is Param {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every(isParam));
}

/** True when every key of `filter` has that value in `params` (numbers compared as numbers: 0 matches 0.0). */
export function matches(params: Params, filter: Params): boolean {
  return Object.entries(filter).every(([k, v]) => k in params && canonicalJson(params[k]) === canonicalJson(v));
}

/** A param value as a table cell: strings as they are, the rest as JSON. */
export const paramText = (v: Param | undefined): string => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
