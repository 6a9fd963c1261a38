import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { isStoreFull } from '../../common/index.js';

/**
 * Fills JetStream's file store to its last bytes with a stream of its own (`stream`, subjects
 * `<stream>.>`): messages of decreasing size until even a one-byte message is refused as not
 * fitting. Returns the bytes of payload written. Delete the stream to make room again.
 */
export async function fillStore(url: string, stream: string, auth: { user?: string; pass?: string } = {}): Promise<number> {
  const nc = await connect({ servers: url, ...auth });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    const js = jetstream(nc);
    let bytes = 0;
    for (const size of [4096, 512, 64, 8, 1]) {
      for (;;) {
        try {
          await js.publish(`${stream}.fill`, new Uint8Array(size));
          bytes += size;
        } catch (err) {
          if (!isStoreFull(err)) throw err;
          break;
        }
      }
    }
    return bytes;
  } finally {
    await nc.close();
  }
}

/** Deletes the stream `fillStore` made: its room is free again. */
export async function unfillStore(url: string, stream: string, auth: { user?: string; pass?: string } = {}): Promise<void> {
  const nc = await connect({ servers: url, ...auth });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream);
  } finally {
    await nc.close();
  }
}
