import { resolve } from 'node:path';
import type { Command } from 'commander';
import { connectNats, DEFAULT_NATS_URL } from '../common/index.js';
import { ID_PATTERN } from '../proto/index.js';
import { ArtifactPathError, fetchArtifacts, listArtifacts, removeSweepArtifacts } from '../coordinator/artifacts/index.js';
import { CliError } from './cli-error.js';
import { addNatsFlags, natsOptionsFrom, type NatsFlagValues } from './nats-flags.js';

/** `fairsweep artifacts SWEEP [TRIAL] --out DIR`: a sweep's artifacts from its JetStream object store bucket. */
export function addArtifactsCommand(program: Command): void {
  addNatsFlags(
    program
      .command('artifacts')
      .description("fetch the artifacts of a sweep's command trials (log.txt, output/...) from NATS into DIR/<trial>/")
      .argument('<sweep>', 'sweep id')
      .argument('[trial]', 'only this trial')
      .option('--out <dir>', 'directory to write them to', 'artifacts')
      .option('--list', 'only list them (name and size)')
      .option('--delete', "remove the sweep's artifacts bucket"),
    false,
  ).action(async (sweep: string, trial: string | undefined, o: NatsFlagValues & { out: string; list?: boolean; delete?: boolean }) => {
    if (!ID_PATTERN.test(sweep)) throw new CliError(`sweep: "${sweep}" is not a sweep id`);
    if (trial !== undefined && !ID_PATTERN.test(trial)) throw new CliError(`trial: "${trial}" is not a trial id`);
    const nc = await connectNats({ name: 'fairsweep-artifacts', ...natsOptionsFrom(o, o.nats ?? DEFAULT_NATS_URL) });
    try {
      if (o.delete) {
        const removed = await removeSweepArtifacts(nc, sweep);
        process.stdout.write(removed ? `removed the artifacts of sweep ${sweep}\n` : `sweep ${sweep} has no artifacts\n`);
        return;
      }
      const infos = await listArtifacts(nc, sweep, trial);
      if (infos.length === 0) throw new CliError(`no artifacts for ${trial ? `trial ${trial} of ` : ''}sweep ${sweep}`);
      if (o.list) {
        for (const i of infos) process.stdout.write(`${i.name}\t${i.size}\n`);
        return;
      }
      const out = resolve(o.out);
      const written = await fetchArtifacts(nc, sweep, trial, out).catch((err: unknown) => {
        throw err instanceof ArtifactPathError ? new CliError(err.message) : err;
      });
      process.stdout.write(`wrote ${written.length} artifact(s) to ${out}\n`);
    } finally {
      await nc.close();
    }
  });
}
