import { z } from 'zod';
import { unknownNameMessage } from './suggest.js';

/** Formats a path like `grid.penalty_weight[2]` from zod's path segments. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

const ARTICLE: Record<string, string> = {
  number: 'a number', string: 'a string', boolean: 'a boolean', array: 'a list', object: 'a mapping',
  int: 'an integer', record: 'a mapping', tuple: 'a list',
};

/** The schemas a value at this level may be checked against, wrappers (optional, default, lazy, union) removed. */
function peel(schema: z.core.$ZodType): z.core.$ZodType[] {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault || schema instanceof z.ZodLazy) return peel(schema.unwrap());
  if (schema instanceof z.ZodUnion) return schema.options.flatMap((o) => peel(o));
  return [schema];
}

function child(schema: z.core.$ZodType, seg: PropertyKey): z.core.$ZodType[] {
  if (schema instanceof z.ZodObject && typeof seg === 'string') {
    const field: unknown = schema.shape[seg];
    return field instanceof z.core.$ZodType ? [field] : [];
  }
  if (schema instanceof z.ZodArray) return [schema.element];
  if (schema instanceof z.ZodRecord) return [schema.valueType];
  return [];
}

/** The keys the object schema(s) at `path` inside `schema` accept (for "did you mean"). */
export function objectKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[] = []): string[] {
  let level = peel(schema);
  for (const seg of path) level = level.flatMap((s) => child(s, seg)).flatMap(peel);
  return [...new Set(level.flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : [])))];
}

export interface SpecIssue {
  path: string;
  message: string;
  /** Set on an unknown key: the key itself (its path ends with it). */
  unknownKey?: string;
}

export interface IssueOptions {
  /** Put before every path (`dataset` for dataset options). */
  prefix?: string;
  /** The schema that failed: an unknown key is told the nearest key this schema accepts there. */
  schema?: z.core.$ZodType;
  /** Keys accepted at the top level besides the schema's own (`name` beside a dataset's options). */
  extraKeys?: readonly string[];
  /** What a key is called in messages: `key` (default), `option of dataset "csv"`. */
  keyNoun?: string;
}

/** One clear sentence per issue, the deepest and most specific first. */
export function issueMessages(error: z.ZodError, options: IssueOptions = {}): SpecIssue[] {
  const prefix = options.prefix ?? '';
  const out: SpecIssue[] = [];
  const visit = (issue: z.core.$ZodIssue, base: readonly PropertyKey[]): void => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union') {
      // Report the branch that matched the input's shape best: no unknown or missing keys, deepest path.
      const score = (branch: readonly z.core.$ZodIssue[]): number => {
        let s = 0;
        for (const i of branch) {
          if (i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.input === undefined)) s -= 1000;
          else if (i.code === 'invalid_type' && i.path.length === 0) s -= 100;
          s += i.path.length;
        }
        return s;
      };
      const ranked = [...issue.errors].sort((a, b) => score(b) - score(a));
      const best = ranked[0];
      if (best && best.length > 0 && score(best) > -100) {
        for (const i of best) visit(i, path);
        return;
      }
      // A union with its own error text (a search distribution) says what it expects; params are the default.
      const expected = issue.message && issue.message !== 'Invalid input' ? issue.message : 'expected a number, string, boolean or list';
      out.push({ path: formatPath(path, prefix), message: `${expected}, got ${describeValue(issue.input)}` });
      return;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type') {
      const got = 'input' in issue ? describeValue(issue.input) : 'something else';
      message = issue.input === undefined ? 'required' : `expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${got}`;
    } else if (issue.code === 'unrecognized_keys') {
      const known = options.schema ? objectKeysAt(options.schema, path) : [];
      if (path.length === 0 && options.extraKeys) known.push(...options.extraKeys);
      for (const k of issue.keys) {
        out.push({ path: formatPath([...path, k], prefix), message: unknownNameMessage(k, known, options.keyNoun ?? 'key'), unknownKey: k });
      }
      return;
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    }
    out.push({ path: formatPath(path, prefix), message });
  };
  for (const issue of error.issues) visit(issue, []);
  // A misspelt key is the cause of the `required` beside it: name it first.
  return [...out.filter((i) => i.unknownKey !== undefined), ...out.filter((i) => i.unknownKey === undefined)];
}
