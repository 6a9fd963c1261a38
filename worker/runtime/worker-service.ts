import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { DescribeRequest, DescribeResponse, DrainRequest, DrainResponse, WorkerServiceServer } from '../../proto/index.js';
import type { Worker } from './worker.js';

/**
 * The WorkerService implementation: Describe reports the worker; Drain starts a drain and answers
 * at once. `current` is undefined while the worker is still starting (calls get UNAVAILABLE).
 */
export function workerService(current: () => Worker | undefined, onDrain: (handBack: boolean) => void): WorkerServiceServer {
  const notReady = { code: status.UNAVAILABLE, details: 'worker is starting' };
  return {
    describe: (_call: ServerUnaryCall<DescribeRequest, DescribeResponse>, cb: sendUnaryData<DescribeResponse>) => {
      const w = current();
      if (!w) cb(notReady);
      else cb(null, { worker: w.info() });
    },
    drain: (call: ServerUnaryCall<DrainRequest, DrainResponse>, cb: sendUnaryData<DrainResponse>) => {
      const w = current();
      if (!w) return cb(notReady);
      onDrain(call.request.handBack);
      cb(null, { worker: { ...w.info(), state: 'draining' } });
    },
  };
}
