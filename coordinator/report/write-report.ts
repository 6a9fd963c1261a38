import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { buildReportData, type ReportInput } from './report-data.js';
import { loadEcharts, renderReportHtml } from './render-html.js';
import { ReportError } from './report-error.js';

/** The report page of a sweep as one self-contained HTML string. */
export async function reportHtml(input: ReportInput): Promise<string> {
  return renderReportHtml(buildReportData(input), await loadEcharts());
}

/** Writes report.html to `path` (its directory is created); returns the absolute path. */
export async function writeReport(path: string, input: ReportInput): Promise<string> {
  const html = await reportHtml(input);
  const out = resolve(path);
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, html);
  } catch (err) {
    throw new ReportError(`${out}: cannot write the report (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  return out;
}
