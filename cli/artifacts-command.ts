import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { connectNats, DEFAULT_NATS_URL } from '../common/index.js';
import { ID_PATTERN } from '../proto/index.js';
import { listArtifacts, openArtifacts, removeSweepArtifacts } from '../coordinator/artifacts/index.js';
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
      const os = await openArtifacts(nc, sweep);
      const out = resolve(o.out);
      for (const i of infos) {
        const path = join(out, i.name);
        // Names come from the bucket: none may lead out of the output directory.
        if (relative(out, path).startsWith(`..${sep}`) || i.name.startsWith('/')) throw new CliError(`artifact name "${i.name}" leads out of ${out}`);
        const data = await os?.getBlob(i.name);
        if (!data) continue;
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, data);
      }
      process.stdout.write(`wrote ${infos.length} artifact(s) to ${out}\n`);
    } finally {
      await nc.close();
    }
  });
}
