import test from 'ava';
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorServer } from '../coordinator/index.js';
import { channelCredentials, type NatsServer } from '../common/index.js';
import { SweepServiceClient, type ListWorkersResponse } from '../proto/index.js';
import { writeCredentials } from '../cli/credentials-command.js';
import { CREDENTIAL_PATHS } from '../cli/credential-layout.js';
import { COORDINATOR_NAMES, WORKER_NAMES } from '../cli/grpc-certificates.js';
import { natsUserName } from '../cli/nats-permissions.js';
import { eventually, spawnCli, startNats } from './helpers/cluster.js';

const exec = promisify(execFile);
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let root: string;
/** One set written by the CLI, shared by the tests that only read it. */
let creds: string;
let nats: NatsServer;

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'fairsweep-creds-'));
  creds = join(root, 'shared');
  const cli = spawnCli(['credentials', creds, '--grpc-host', 'sweeps.example.org', '--grpc-host', '10.1.2.3', '--days', '30']);
  const exit = await cli.exited;
  if (exit.code !== 0) throw new Error(`fairsweep credentials failed: ${cli.output}`);
  nats = await startNats();
});

test.after.always(async () => {
  await nats?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const file = (...p: string[]): string => join(creds, ...p);
const text = (p: string): Promise<string> => readFile(file(p), 'utf8');
const cert = async (p: string): Promise<X509Certificate> => new X509Certificate(await readFile(file(p)));

test('the set holds the NATS users of the default roles and the gRPC certificates; secrets are 0600, directories 0700', async (t) => {
  for (const role of ['coordinator', 'worker', 'client'] as const) {
    const env = await text(CREDENTIAL_PATHS.natsEnv(role));
    t.regex(env, new RegExp(`^FAIRSWEEP_NATS_USER=${natsUserName(role)}$`, 'm'));
    const password = /^FAIRSWEEP_NATS_PASSWORD=([A-Za-z0-9_-]{43})$/m.exec(env)?.[1];
    t.truthy(password, `${role}.env has a 256-bit password`);
    t.true((await text(CREDENTIAL_PATHS.natsAuth)).includes(`password: "${password ?? ''}"`), `nats-auth.conf knows the ${role} password`);
  }
  await t.throwsAsync(stat(file(CREDENTIAL_PATHS.natsEnv('local'))), { code: 'ENOENT' }, 'the local role is made only when asked for');
  const secrets = [CREDENTIAL_PATHS.natsAuth, CREDENTIAL_PATHS.natsEnv('worker'), CREDENTIAL_PATHS.tls.caKey, CREDENTIAL_PATHS.tls.key('coordinator'), CREDENTIAL_PATHS.tls.key('worker'), CREDENTIAL_PATHS.tls.key('client')];
  for (const p of secrets) t.is((await stat(file(p))).mode & 0o777, 0o600, `${p} is private`);
  t.is((await stat(file(CREDENTIAL_PATHS.tls.caCert))).mode & 0o777, 0o644);
  for (const d of ['', 'nats', 'tls']) t.is((await stat(file(d))).mode & 0o777, 0o700, `${d || '.'} is private`);
});

test('nats-server accepts the authorization file included from its configuration', async (t) => {
  const conf = join(creds, 'server.conf');
  await writeFile(conf, `port: -1\njetstream { store_dir: ${JSON.stringify(join(root, 'js'))} }\ninclude "nats-auth.conf"\n`);
  const { stdout, stderr } = await exec('nats-server', ['-t', '-c', conf], { timeout: 30_000 });
  t.regex(stdout + stderr, /is valid/);
});

test('by default the users share one account with a JetStream file limit, which the coordinator sees and reports; --jetstream-max-file none leaves it out', async (t) => {
  const auth = await text(CREDENTIAL_PATHS.natsAuth);
  t.regex(auth, /accounts \{\n {2}FAIRSWEEP: \{\n {4}jetstream: \{ max_file: 8GB \}/);
  const server = await startNats(auth);
  t.teardown(() => server.stop());
  const env = await text(CREDENTIAL_PATHS.natsEnv('coordinator'));
  const user = /^FAIRSWEEP_NATS_USER=(.*)$/m.exec(env)?.[1] ?? '';
  const pass = /^FAIRSWEEP_NATS_PASSWORD=(.*)$/m.exec(env)?.[1] ?? '';
  const c = await CoordinatorServer.start({ nats: { servers: server.url, user, pass }, grpc: '127.0.0.1:0', metrics: '127.0.0.1:0', reconcileIntervalMs: 200 });
  t.teardown(() => c.close());
  const limit = async (): Promise<number> => {
    const body = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
    return Number(/^fairsweep_jetstream_storage_limit_bytes (\S+)$/m.exec(body)?.[1] ?? NaN);
  };
  await eventually(async () => (await limit()) === 8 * 1024 ** 3, 10_000, 'the account limit in the gauge');
  const none = join(root, 'no-limit');
  const p = spawnCli(['credentials', none, '--no-tls', '--jetstream-max-file', 'none']);
  t.is((await p.exited).code, 0, p.output);
  const plain = await readFile(join(none, CREDENTIAL_PATHS.natsAuth), 'utf8');
  t.regex(plain, /^authorization \{/m);
  t.notRegex(plain, /accounts|max_file/);
});

test('certificates: a CA, server certificates for the coordinator and workers with their names, a client certificate, all signed by the CA', async (t) => {
  const ca = await cert(CREDENTIAL_PATHS.tls.caCert);
  t.true(ca.ca, 'the CA may sign');
  t.true(ca.verify(ca.publicKey));
  for (const who of ['coordinator', 'worker', 'client'] as const) {
    const c = await cert(CREDENTIAL_PATHS.tls.cert(who));
    t.false(c.ca, `${who} cannot sign`);
    t.true(c.checkIssued(ca) && c.verify(ca.publicKey), `${who} is signed by the CA`);
    t.true(c.checkPrivateKey(createPrivateKey(await readFile(file(CREDENTIAL_PATHS.tls.key(who))))), `${who}.key belongs to ${who}.crt`);
    const days = (Date.parse(c.validTo) - Date.parse(c.validFrom)) / 86_400_000;
    t.true(days > 30 && days < 31, `--days 30 (${days})`);
    t.deepEqual(c.keyUsage, [who === 'client' ? CLIENT_AUTH : SERVER_AUTH]);
  }
  const coordinator = (await cert(CREDENTIAL_PATHS.tls.cert('coordinator'))).subjectAltName ?? '';
  for (const name of [...COORDINATOR_NAMES, 'localhost', 'sweeps.example.org']) t.true(coordinator.includes(`DNS:${name}`), `coordinator certificate names ${name}`);
  for (const ip of ['127.0.0.1', '10.1.2.3']) t.true(coordinator.includes(`IP Address:${ip}`), `coordinator certificate names ${ip}`);
  const worker = (await cert(CREDENTIAL_PATHS.tls.cert('worker'))).subjectAltName ?? '';
  for (const name of WORKER_NAMES) t.true(worker.includes(`DNS:${name}`));
  t.false(worker.includes('DNS:fairsweep-coordinator'), 'a worker certificate does not pass for the coordinator');
});

function listWorkers(client: SweepServiceClient): Promise<ListWorkersResponse> {
  return new Promise((resolve, reject) => client.listWorkers({}, new Metadata(), { deadline: Date.now() + 5_000 }, (e: ServiceError | null, r: ListWorkersResponse) => (e ? reject(e) : resolve(r))));
}

test('gRPC mutual TLS with the generated certificates: the client certificate is served; none, another CA\'s, or a server certificate are refused', async (t) => {
  const tls = (p: string): string => file(p);
  const other = join(root, 'other');
  await writeCredentials({ dir: other, roles: ['client'] });
  const server = await CoordinatorServer.start({
    nats: { servers: nats.url },
    grpc: '127.0.0.1:0',
    metrics: null,
    tls: { certFile: tls(CREDENTIAL_PATHS.tls.cert('coordinator')), keyFile: tls(CREDENTIAL_PATHS.tls.key('coordinator')), clientCaFile: tls(CREDENTIAL_PATHS.tls.caCert) },
  });
  const address = `127.0.0.1:${server.grpcPort}`;
  const call = async (certDir: string, who: 'client' | 'worker' | null): Promise<ListWorkersResponse> => {
    const c = new SweepServiceClient(address, channelCredentials({ caFile: tls(CREDENTIAL_PATHS.tls.caCert), ...(who ? { certFile: join(certDir, CREDENTIAL_PATHS.tls.cert(who)), keyFile: join(certDir, CREDENTIAL_PATHS.tls.key(who)) } : {}) }));
    try {
      return await listWorkers(c);
    } finally {
      c.close();
    }
  };
  try {
    t.true(Array.isArray((await call(creds, 'client')).workers));
    for (const [what, dir, who] of [['no client certificate', creds, null], ['a client certificate of another CA', other, 'client'], ['a server (worker) certificate as client certificate', creds, 'worker']] as const) {
      const err = await t.throwsAsync(call(dir, who), undefined, what);
      t.is((err as ServiceError | undefined)?.code, status.UNAVAILABLE, what);
    }
  } finally {
    await server.close();
  }
});

test('refuses to overwrite an existing set without --force, writing nothing; --force replaces it', async (t) => {
  const dir = join(root, 'rewrite');
  t.is((await spawnCli(['credentials', dir, '--no-tls']).exited).code, 0);
  const before = await readFile(join(dir, CREDENTIAL_PATHS.natsEnv('worker')), 'utf8');
  const again = spawnCli(['credentials', dir]);
  t.not((await again.exited).code, 0);
  t.regex(again.output, /already holds nats-auth\.conf, nats\/coordinator\.env.*--force/);
  t.is(await readFile(join(dir, CREDENTIAL_PATHS.natsEnv('worker')), 'utf8'), before, 'nothing was overwritten');
  await t.throwsAsync(stat(join(dir, CREDENTIAL_PATHS.tls.caCert)), { code: 'ENOENT' }, 'nothing was added either');
  t.is((await spawnCli(['credentials', dir, '--force', '--no-tls', '--roles', 'worker,local']).exited).code, 0);
  const after = await readFile(join(dir, CREDENTIAL_PATHS.natsEnv('worker')), 'utf8');
  t.not(after, before, 'a new password');
  t.regex(await readFile(join(dir, CREDENTIAL_PATHS.natsAuth), 'utf8'), /fairsweep-local/);
});

test('bad arguments are refused with the option named', async (t) => {
  for (const [args, message] of [
    [['--roles', 'worker,admin'], /--roles: expected a comma-separated list of coordinator, worker, client, local, got "worker,admin"/],
    [['--grpc-host', 'not a host'], /--grpc-host: "not a host" is neither a DNS name nor an IP address/],
    [['--days', '0'], /validity: expected whole days/],
    [['--jetstream-max-file', 'lots'], /--jetstream-max-file: expected a size such as 8GB or 500MB, or none, got "lots"/],
  ] as const) {
    const p = spawnCli(['credentials', join(root, 'bad'), ...args]);
    t.is((await p.exited).code, 1, args.join(' '));
    t.regex(p.output, message);
  }
  await t.throwsAsync(stat(join(root, 'bad', CREDENTIAL_PATHS.natsAuth)), { code: 'ENOENT' });
});
