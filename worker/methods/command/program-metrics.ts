import { TrialFailedError } from '../../errors.js';

/** A metrics.json that is not a flat object of numbers, or names a metric fairsweep computes. */
export class ProgramMetricsError extends TrialFailedError {
  override name = 'ProgramMetricsError';
}

/** The program's own metrics from metrics.json text: a flat object, name → finite number. */
export function parseProgramMetrics(text: string, shownAs: string): Record<string, number> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ProgramMetricsError(`${shownAs}: not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProgramMetricsError(`${shownAs}: expected a flat object of metric name → number`);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.trim() === '') throw new ProgramMetricsError(`${shownAs}: a metric has an empty name`);
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new ProgramMetricsError(`${shownAs}: metric "${k}" must be a finite number, got ${JSON.stringify(x)}`);
    out[k] = x;
  }
  return out;
}

/** `computed` with the program's metrics added; a name in both is an error naming it. */
export function mergeProgramMetrics(computed: Record<string, number>, own: Record<string, number>, shownAs: string): Record<string, number> {
  const clash = Object.keys(own).filter((k) => k in computed);
  if (clash.length > 0) throw new ProgramMetricsError(`${shownAs}: ${clash.map((k) => `"${k}"`).join(', ')} ${clash.length === 1 ? 'is a metric' : 'are metrics'} fairsweep computes from predictions.csv; rename ${clash.length === 1 ? 'it' : 'them'}`);
  return { ...computed, ...own };
}
