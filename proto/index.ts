/**
 * The wire contract of fairsweep: generated protobuf messages and services, parameter
 * conversion, and the NATS subjects and streams both sides agree on.
 */
export * from './gen/fairsweep/v1/types.js';
export {
  CancelRequest, CancelResponse, FrontierRequest, FrontierResponse, GetRequest, GetResponse,
  ListWorkersRequest, ListWorkersResponse, ResultsRequest, ResultsResponse, SubmitRequest, SubmitResponse,
  WatchRequest, WatchResponse, SweepServiceClient, SweepServiceService, type SweepServiceServer,
} from './gen/fairsweep/v1/sweep_service.js';
export {
  DescribeRequest, DescribeResponse, DrainRequest, DrainResponse, WorkerServiceClient, WorkerServiceService,
  type WorkerServiceServer,
} from './gen/fairsweep/v1/worker_service.js';
export * from './params.js';
export * from './subjects.js';
export * from './checked-decode.js';
export * from './pack.js';
