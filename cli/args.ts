import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { SpecError } from '../coordinator/errors.js';
import { parseSpecText, type SpecLimits, type ValidatedSpec } from '../coordinator/spec/index.js';
import { CliError } from './cli-error.js';

/** A commander parser for an integer option in [min, max]. */
export function intArg(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** The text of a spec file; a file that cannot be read is a CliError naming it. */
export async function readSpecFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`${path}: cannot read the spec (${err instanceof Error && 'code' in err ? String(err.code) : String(err)})`);
  }
}

/** Validates spec text as a coordinator would; an invalid spec is a CliError naming the file and every bad path. */
export function validateSpecFile(path: string, text: string, limits: SpecLimits = {}): ValidatedSpec {
  try {
    return parseSpecText(text, limits);
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(`${path}: invalid spec: ${err.message}`);
    throw err;
  }
}
