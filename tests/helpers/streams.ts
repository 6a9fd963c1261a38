import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { RESULTS_STREAM } from '../../proto/index.js';

/** Result messages JetStream holds for a sweep: exactly one per trial when nothing is duplicated. */
export async function storedResultCount(url: string, sweepId: string, opts: { user?: string; pass?: string } = {}): Promise<number> {
  const nc = await connect({ servers: url, ...opts });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(RESULTS_STREAM, { subjects_filter: `fairsweep.results.${sweepId}.>` });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  } finally {
    await nc.close();
  }
}
