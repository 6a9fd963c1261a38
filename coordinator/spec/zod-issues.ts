import type { z } from 'zod';

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

/** One clear sentence per issue, the deepest and most specific first. */
export function issueMessages(error: z.ZodError, prefix = ''): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
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
      for (const k of issue.keys) out.push({ path: formatPath([...path, k], prefix), message: 'unknown key' });
      return;
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    }
    out.push({ path: formatPath(path, prefix), message });
  };
  for (const issue of error.issues) visit(issue, []);
  return out;
}
