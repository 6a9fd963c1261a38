import { readFile } from 'node:fs/promises';
import { SweepState } from '../proto/index.js';
import { type GrpcTlsOptions } from '../common/index.js';
import { writeReport, type ReportInput } from '../coordinator/report/index.js';
import { readResultsFile } from '../coordinator/results/index.js';
import { parseSpecText } from '../coordinator/spec/index.js';
import { CliError } from './cli-error.js';
import { call, collect, sweepClient } from './client.js';
import { frontierOfRows } from './frontier-file.js';
import { toFrontierDocument, toResultRow } from './result-format.js';

export interface ReportCommandOptions {
  out: string;
  spec?: string;
  coordinator?: string;
  tls?: GrpcTlsOptions;
}

/** Report input from a results.jsonl file and its spec: the frontier is computed on the spec's objectives. */
export async function offlineReportInput(resultsPath: string, specPath: string): Promise<ReportInput> {
  let specYaml: string;
  try {
    specYaml = await readFile(specPath, 'utf8');
  } catch (err) {
    throw new CliError(`${specPath}: cannot read the spec (${err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : String(err)})`);
  }
  const spec = parseSpecText(specYaml);
  const trials = await readResultsFile(resultsPath);
  const ok = trials.filter((t) => t.status === 'ok');
  const frontier = frontierOfRows(ok, spec.objectives);
  const sweepId = trials.find((t) => t.sweep_id !== undefined)?.sweep_id ?? spec.name;
  return { sweepId, name: spec.name, specYaml, trials, frontier, objectives: spec.objectives, ...(spec.selection ? { selection: spec.selection } : {}) };
}

/** Report input fetched from a coordinator: the spec, every recorded result and the frontier. */
export async function remoteReportInput(sweepId: string, address: string, tls?: GrpcTlsOptions): Promise<{ input: ReportInput; running: boolean }> {
  const client = sweepClient(address, tls);
  try {
    const got = await call(client, client.get, { sweepId }, address);
    const results = await collect(client.results({ sweepId }), address);
    const fr = await call(client, client.frontier, { sweepId, objectives: [], reference: [], perTrial: true }, address);
    if (!fr.frontier) throw new CliError(`the coordinator at ${address} returned no frontier for sweep ${sweepId}`);
    const specYaml = got.sweep?.specYaml ?? '';
    const spec = specProtocol(specYaml);
    return {
      input: {
        ...spec,
        sweepId,
        ...(got.sweep?.spec?.name ? { name: got.sweep.spec.name } : {}),
        specYaml,
        trials: results.flatMap((r) => (r.result ? [toResultRow(r.result)] : [])),
        frontier: toFrontierDocument(fr.frontier),
      },
      running: got.sweep?.state === SweepState.SWEEP_STATE_RUNNING,
    };
  } finally {
    client.close();
  }
}

/**
 * The objectives' aggregates and the selection method of a coordinator's spec text. The coordinator
 * accepted it, so it parses; if this client's version reads it otherwise, the report falls back to
 * the frontier's objectives aggregated by mean, with no selection.
 */
export function specProtocol(specYaml: string): Pick<ReportInput, 'objectives' | 'selection'> {
  try {
    const spec = parseSpecText(specYaml, { maxTrials: Number.POSITIVE_INFINITY });
    return { objectives: spec.objectives, ...(spec.selection ? { selection: spec.selection } : {}) };
  } catch {
    return {};
  }
}

/** `fairsweep report`: SOURCE is a results.jsonl (with --spec) or a sweep id (with --coordinator). */
export async function reportCommand(source: string, o: ReportCommandOptions): Promise<string> {
  if (o.spec !== undefined) return writeReport(o.out, await offlineReportInput(source, o.spec));
  if (o.coordinator === undefined) {
    throw new CliError(`report: give --spec SPEC.yaml to report on the results file ${source}, or --coordinator HOST:PORT (or FAIRSWEEP_COORDINATOR) to report on the sweep ${source} of a running coordinator`);
  }
  const { input, running } = await remoteReportInput(source, o.coordinator, o.tls);
  if (running) process.stderr.write(`fairsweep: sweep ${source} is still running; the report shows the ${input.trials.length} results recorded so far\n`);
  return writeReport(o.out, input);
}
