import type { TestFn } from 'ava';
import { CoordinatorServer, type CoordinatorServerOptions } from '../../coordinator/index.js';
import type { NatsClientOptions, NatsServer } from '../../common/index.js';
import { spawnWorker, startNats, type CliProcess } from './cluster.js';

/** The shared coordinator's options: its NATS servers are the fixture's, gRPC on 127.0.0.1:0 and no metrics unless given. */
export type FixtureCoordinatorOptions = Omit<CoordinatorServerOptions, 'nats'> & { nats?: Omit<NatsClientOptions, 'servers'> };

export interface SweepFixtureOptions {
  /** Options of the coordinator started for the whole file (default: all defaults); null starts none, for tests that start their own. */
  coordinator?: FixtureCoordinatorOptions | null;
  /** nats-server configuration text (authorization...); none by default. */
  natsConfig?: string;
  /** Arguments every worker started by `worker()` gets before its own. */
  workerArgs?: readonly string[];
  /** Kill every process in `procs` before each test, so that each starts with no worker running. */
  killBeforeEach?: boolean;
  /** Run at the end of the before hook, once nats-server and the coordinator are up (hooks of one kind run concurrently in ava, so setup that needs them goes here). */
  setup?: (fixture: SweepFixture) => Promise<void>;
  /** Run in the after hook once the processes are killed, before the coordinator closes and nats-server stops. */
  teardown?: () => Promise<unknown>;
}

export interface SweepFixture {
  readonly nats: NatsServer;
  readonly server: CoordinatorServer;
  /** The processes killed after the file (and before each test with killBeforeEach); tests may push their own. */
  readonly procs: CliProcess[];
  /** Starts a worker on the fixture's nats-server with `workerArgs` and `extra`; resolves once it runs. */
  worker(...extra: string[]): Promise<CliProcess>;
  /** Closes the coordinator and starts it again with the same options. */
  restartServer(): Promise<CoordinatorServer>;
}

/**
 * Registers the hooks of a test file that runs sweeps against one nats-server, one in-process
 * coordinator and worker processes: started before the file, processes SIGKILLed, the coordinator
 * closed and nats-server stopped after it.
 */
export function sweepFixture(test: TestFn, options: SweepFixtureOptions = {}): SweepFixture {
  const coordinator = options.coordinator === undefined ? {} : options.coordinator;
  let nats: NatsServer | undefined;
  let server: CoordinatorServer | undefined;
  const procs: CliProcess[] = [];

  const startServer = (url: string, o: FixtureCoordinatorOptions): Promise<CoordinatorServer> =>
    CoordinatorServer.start({ grpc: '127.0.0.1:0', metrics: null, ...o, nats: { ...o.nats, servers: url } });

  const fixture: SweepFixture = {
    get nats(): NatsServer {
      if (!nats) throw new Error('nats-server is not running: the fixture\'s before hook has not run or failed');
      return nats;
    },
    get server(): CoordinatorServer {
      if (!server) throw new Error(coordinator ? 'the coordinator is not running: the fixture\'s before hook has not run or failed' : 'this fixture starts no coordinator');
      return server;
    },
    procs,
    async worker(...extra: string[]): Promise<CliProcess> {
      const w = await spawnWorker(fixture.nats.url, [...(options.workerArgs ?? []), ...extra]);
      procs.push(w);
      return w;
    },
    async restartServer(): Promise<CoordinatorServer> {
      if (!coordinator) throw new Error('this fixture starts no coordinator');
      await fixture.server.close();
      server = await startServer(fixture.nats.url, coordinator);
      return server;
    },
  };

  test.before(async () => {
    nats = await startNats(options.natsConfig);
    if (coordinator) server = await startServer(nats.url, coordinator);
    await options.setup?.(fixture);
  });

  test.after.always(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    try {
      await options.teardown?.();
    } finally {
      await server?.close();
      await nats?.stop();
    }
  });

  if (options.killBeforeEach) {
    test.beforeEach(async () => {
      await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    });
  }

  return fixture;
}
