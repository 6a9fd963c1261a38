import type { ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import type {
  SweepServiceServer,
  WatchRequest,
  WatchResponse,
  ResultsRequest,
  ResultsResponse,
  Progress,
  TrialEvent,
  TrialResult,
} from '../../proto/index.js';
import type { Coordinator } from '../coordinator.js';
import type { SweepLifecycle } from '../sweeps/sweep-lifecycle.js';
import { InvalidArgumentError } from '../errors.js';
import { toServiceError } from './grpc-errors.js';

/** Minimum time between two progress messages of one Watch stream. */
export const WATCH_PROGRESS_INTERVAL_MS = 250;

function unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(err)),
      );
  };
}

/** The SweepService implementation over a Coordinator. */
export function sweepService(c: Coordinator): SweepServiceServer {
  return {
    submit: unary(async (req) => {
      if (!req.specYaml.trim()) throw new InvalidArgumentError('spec_yaml: empty spec');
      return c.submit(req.specYaml);
    }),
    get: unary((req) => c.get(req.sweepId)),
    // Configurations by default; the frontier over trials with per_trial.
    frontier: unary((req) =>
      req.perTrial
        ? { frontier: c.frontier(req.sweepId, req.objectives, req.reference), configurations: undefined }
        : { frontier: undefined, configurations: c.configurationFrontier(req.sweepId, req.objectives, req.reference) },
    ),
    cancel: unary(async (req) => ({ progress: await c.cancel(req.sweepId) })),
    listWorkers: unary(() => ({ workers: c.listWorkers() })),
    results: (call: ServerWritableStream<ResultsRequest, ResultsResponse>) => {
      try {
        for (const r of c.results(call.request.sweepId)) call.write({ result: r });
        call.end();
      } catch (err) {
        // 'error' ends the call with this status; destroy() would end the stream without one, and
        // the client would wait for its deadline.
        call.emit('error', toServiceError(err));
      }
    },
    watch: (call: ServerWritableStream<WatchRequest, WatchResponse>) => watch(c, call),
  };
}

function watch(c: Coordinator, call: ServerWritableStream<WatchRequest, WatchResponse>): void {
  let sweep: SweepLifecycle;
  try {
    sweep = c.sweep(call.request.sweepId);
  } catch (err) {
    call.emit('error', toServiceError(err));
    return;
  }
  let lastProgress = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const sendProgress = (): void => {
    // A progress sent now makes a pending delayed one redundant; leaving it scheduled would let it
    // fire after the stream ended (write after end destroys the stream and its buffered messages).
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (ended) return;
    lastProgress = Date.now();
    call.write({ event: { $case: 'progress', value: sweep.progress() } });
  };
  const onResult = (r: TrialResult): void => {
    if (ended) return;
    call.write({ event: { $case: 'result', value: r } });
    if (Date.now() - lastProgress >= WATCH_PROGRESS_INTERVAL_MS) sendProgress();
    else timer ??= setTimeout(sendProgress, WATCH_PROGRESS_INTERVAL_MS);
  };
  const onTrialProgress = (ev: TrialEvent): void => {
    if (!ended) call.write({ event: { $case: 'trialProgress', value: ev } });
  };
  const onEnd = (p: Progress): void => {
    if (ended) return;
    cleanup();
    call.write({ event: { $case: 'progress', value: p } });
    call.end();
  };
  /** Nothing is written after this: the sweep ended or the client went away. */
  const cleanup = (): void => {
    ended = true;
    if (timer) clearTimeout(timer);
    sweep.off('result', onResult);
    sweep.off('end', onEnd);
    sweep.off('trial-progress', onTrialProgress);
  };
  call.on('cancelled', cleanup);
  call.on('error', cleanup);
  sendProgress();
  if (call.request.replay) for (const r of [...sweep.results.values()].sort((a, b) => a.index - b.index)) call.write({ event: { $case: 'result', value: r } });
  if (sweep.finished) {
    onEnd(sweep.progress());
    return;
  }
  sweep.on('result', onResult);
  sweep.on('end', onEnd);
  sweep.on('trial-progress', onTrialProgress);
}
