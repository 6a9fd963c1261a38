import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Param } from '../../proto/index.js';
import { ResultsFileError } from './results-file-error.js';

const param: z.ZodType<Param> = z.lazy(() => z.union([z.number(), z.string(), z.boolean(), z.array(param)], { error: 'expected a number, string, boolean or list' }));

/**
 * Metric values by name. JSON has no NaN or ±Infinity (`JSON.stringify` writes them as null): a
 * null value is a metric without a usable number and is left out, as a missing one.
 */
const metrics = z
  .record(z.string(), z.number().nullable())
  .transform((m) => Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => e[1] !== null)));

const groupMetrics = z.object({ split: z.string(), group: z.string(), metrics: metrics.default({}) });

/**
 * One line of results.jsonl as `fairsweep run` and `fairsweep results` write it (cli/result-format.ts).
 * Only `metrics` matters to a frontier, so hand-written files may leave the rest out.
 */
const resultLine = z.object({
  trial_id: z.string().optional(),
  sweep_id: z.string().optional(),
  index: z.number().int().optional(),
  params: z.record(z.string(), param).default({}),
  seed: z.number().int().default(0),
  status: z.enum(['ok', 'failed', 'pruned']).default('ok'),
  step: z.number().int().optional(),
  metrics: metrics.default({}),
  group_metrics: z.array(groupMetrics).default([]),
  attempts: z.number().int().optional(),
  worker: z.string().optional(),
  backend: z.string().optional(),
  device: z.string().optional(),
  started_at: z.string().nullable().optional(),
  finished_at: z.string().nullable().optional(),
  gpu: z.number().int().optional(),
  error: z.string().optional(),
});

/** A trial result read back from results.jsonl. */
export type ResultLine = Omit<z.output<typeof resultLine>, 'trial_id'> & {
  /** As written; `line-N` for a hand-written line without one. */
  trial_id: string;
};

const errorCode = (err: unknown): string => (err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : String(err));

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return error.message;
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
  return path ? `"${path}": ${issue.message}` : issue.message;
}

/**
 * Parses results.jsonl text, every line (failed trials too) in file order; blank lines are skipped.
 * A line that is not JSON or not a result throws ResultsFileError naming `path`, the line and the field.
 */
export function parseResultsJsonl(text: string, path: string): ResultLine[] {
  const out: ResultLine[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${path} line ${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new ResultsFileError(`${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ResultsFileError(`${where}: expected a JSON object (one trial result per line)`);
    const parsed = resultLine.safeParse(json);
    if (!parsed.success) throw new ResultsFileError(`${where}: ${issueText(parsed.error)}`, { cause: parsed.error });
    out.push({ ...parsed.data, trial_id: parsed.data.trial_id ?? `line-${i + 1}` });
  });
  return out;
}

/** Reads and parses a results.jsonl file (see `parseResultsJsonl`). */
export async function readResultsFile(path: string): Promise<ResultLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ResultsFileError(`${path}: cannot read the results (${errorCode(err)})`, { cause: err });
  }
  return parseResultsJsonl(text, path);
}
