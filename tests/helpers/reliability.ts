import { appendFileSync } from 'node:fs';

/**
 * Records one row of the reliability table (fault, trials submitted, recorded, lost, duplicated)
 * when FAIRSWEEP_RELIABILITY_OUT names a file; `npm run reliability` prints the table from it.
 * `distinct` is the number of distinct trial ids among the recorded results.
 */
export function reportFault(fault: string, submitted: number, recorded: number, distinct: number): void {
  const out = process.env.FAIRSWEEP_RELIABILITY_OUT;
  if (!out) return;
  appendFileSync(out, `${JSON.stringify({ fault, submitted, recorded: distinct, lost: submitted - distinct, duplicated: recorded - distinct })}\n`);
}
