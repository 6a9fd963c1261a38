import { join } from 'node:path';
import { connectNats, errorText, type NatsClientOptions } from '../common/index.js';
import { fetchArtifacts } from '../coordinator/artifacts/index.js';

/** Where `fairsweep run` puts a command sweep's artifacts, under its output directory. */
export const RUN_ARTIFACTS_DIR = 'artifacts';

/**
 * `fairsweep run` of a command sweep: its artifacts into OUT/artifacts/<trial>/a<attempt>/...,
 * and the links report.html gives each trial (relative to OUT). A fetch that fails is a warning:
 * the results are written already.
 */
export async function fetchRunArtifacts(nats: NatsClientOptions, sweepId: string, outDir: string): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>();
  try {
    const nc = await connectNats({ name: 'fairsweep-run-artifacts', ...nats });
    try {
      for (const name of await fetchArtifacts(nc, sweepId, undefined, join(outDir, RUN_ARTIFACTS_DIR))) {
        const trial = name.split('/')[0] ?? '';
        links.set(trial, [...(links.get(trial) ?? []), `${RUN_ARTIFACTS_DIR}/${name}`]);
      }
    } finally {
      await nc.close();
    }
  } catch (err) {
    process.stderr.write(`fairsweep: warning: artifacts not fetched: ${errorText(err)}\n`);
  }
  return links;
}
