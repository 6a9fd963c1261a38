import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { find, kustomize, validateObject, ManifestError, type K8sObject } from './helpers/k8s-manifests.js';
import { unknownCliFlags } from './helpers/cli-flags.js';
import { isRecord, readRepoText, readRepoYaml, repoPath } from './helpers/repo-files.js';
import { writeCredentials } from '../cli/credentials-command.js';
import { CREDENTIAL_PATHS, KUBERNETES_SECRETS, kubectlCreateSecret } from '../cli/credential-layout.js';

const exec = promisify(execFile);
const OVERLAYS = ['cpu', 'gpu'] as const;

interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string }; fieldRef?: unknown } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: { port: number | string; path?: string };
}
interface PodSpec {
  containers: Container[];
  tolerations?: { key?: string }[];
  volumes?: { name: string; secret?: { secretName: string; defaultMode?: number }; configMap?: { name: string } }[];
  securityContext?: { runAsUser?: number; fsGroup?: number };
}

const podSpec = (o: K8sObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;
const container = (o: K8sObject): Container => {
  const c = podSpec(o).containers[0];
  if (!c) throw new Error(`${o.kind}/${o.metadata.name} has no container`);
  return c;
};
/** The Secret mounted at the directory holding `path` in container `c`, and the path of each of its keys there. */
function secretAt(o: K8sObject, c: Container, path: string | undefined): { name: string; file: (key: string) => string; readable: boolean } {
  for (const m of c.volumeMounts ?? []) {
    if (!path?.startsWith(`${m.mountPath}/`)) continue;
    const v = podSpec(o).volumes?.find((x) => x.name === m.name);
    if (!v?.secret) continue;
    const mode = v.secret.defaultMode ?? 0o644;
    // Secret files belong to root and the pod's fsGroup: the container's user reads them through the group.
    const readable = (mode & 0o004) !== 0 || ((mode & 0o040) !== 0 && podSpec(o).securityContext?.fsGroup !== undefined);
    return { name: v.secret.secretName, file: (key) => `${m.mountPath}/${key}`, readable };
  }
  throw new Error(`${o.metadata.name}: no Secret is mounted over ${path ?? '(no path)'}`);
}

/** The certificate Secret a fairsweep server reads its --tls-cert from. */
function tlsSecretFiles(o: K8sObject, c: Container): { name: string; file: (key: string) => string; readable: boolean } {
  const args = c.args ?? [];
  return secretAt(o, c, args[args.indexOf('--tls-cert') + 1]);
}

const rendered = new Map<string, K8sObject[]>();
async function overlay(name: string): Promise<K8sObject[]> {
  let objects = rendered.get(name);
  if (!objects) {
    objects = await kustomize(repoPath('deploy', 'k8s', 'overlays', name));
    rendered.set(name, objects);
  }
  return objects;
}

for (const name of OVERLAYS) {
  test(`overlay ${name}: renders offline and every object passes its Kubernetes / Prometheus Operator schema`, async (t) => {
    const objects = await overlay(name);
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    for (const k of ['Namespace/fairsweep', 'StatefulSet/nats', 'Service/nats', 'Service/nats-headless', 'PodDisruptionBudget/nats', 'Deployment/fairsweep-coordinator', 'Service/fairsweep-coordinator', 'Deployment/fairsweep-worker', 'ServiceMonitor/fairsweep-coordinator', 'PodMonitor/fairsweep-worker', 'PrometheusRule/fairsweep']) {
      t.true(kinds.includes(k), `${name} renders ${k}`);
    }
    for (const o of objects) {
      await t.notThrowsAsync(validateObject(o), `${o.kind}/${o.metadata.name}`);
      if (o.kind !== 'Namespace') t.is(o.metadata.namespace, 'fairsweep', `${o.kind}/${o.metadata.name} namespace`);
    }
  });

  test(`overlay ${name}: pods get settings from the ConfigMap, each role its own NATS user from its Secret, and flags the CLI knows`, async (t) => {
    const objects = await overlay(name);
    const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
    for (const [d, role] of [['fairsweep-coordinator', 'coordinator'], ['fairsweep-worker', 'worker']] as const) {
      const c = container(find(objects, 'Deployment', d));
      const from = c.envFrom?.map((e) => e.configMapRef?.name) ?? [];
      t.is(from.length, 1);
      const config = configMaps.get(from[0] ?? '');
      t.truthy(config, `${d} reads a ConfigMap that is rendered (${from[0]})`);
      const secretEnv = Object.fromEntries((c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
      t.deepEqual(secretEnv, {
        FAIRSWEEP_NATS_USER: { name: `fairsweep-nats-${role}`, key: 'FAIRSWEEP_NATS_USER' },
        FAIRSWEEP_NATS_PASSWORD: { name: `fairsweep-nats-${role}`, key: 'FAIRSWEEP_NATS_PASSWORD' },
      });
      t.is(config?.FAIRSWEEP_NATS_URL, 'nats://nats:4222');
      // $(VAR) in args must be defined, or Kubernetes passes the text through unchanged.
      const defined = new Set([...Object.keys(config ?? {}), ...(c.env ?? []).map((e) => e.name)]);
      for (const ref of (c.args ?? []).join(' ').matchAll(/\$\((\w+)\)/g)) t.true(defined.has(ref[1] ?? ''), `${d}: $(${ref[1]}) is defined`);
      t.deepEqual(unknownCliFlags(c.args ?? []), [], `${d} args: ${(c.args ?? []).join(' ')}`);
    }
    const nats = container(find(objects, 'StatefulSet', 'nats'));
    t.deepEqual(nats.env?.filter((e) => e.valueFrom?.secretKeyRef) ?? [], [], 'the NATS servers read their users from the mounted file, not the environment');
    t.false(objects.some((o) => o.kind === 'Secret'), 'no credentials are kept in the manifests');
  });

  test(`overlay ${name}: gRPC requires mutual TLS with the role's certificate Secret; probes ask /healthz on the metrics port; resources on every container`, async (t) => {
    const objects = await overlay(name);
    for (const [d, role, port] of [['fairsweep-coordinator', 'coordinator', 50051], ['fairsweep-worker', 'worker', 50061]] as const) {
      const o = find(objects, 'Deployment', d);
      const c = container(o);
      const arg = (flag: string): string | undefined => (c.args ?? [])[(c.args ?? []).indexOf(flag) + 1];
      t.is(arg('--grpc'), `0.0.0.0:${port}`, `${d} serves gRPC on ${port}`);
      t.true(c.ports?.some((p) => p.name === 'grpc' && p.containerPort === port));
      const secret = tlsSecretFiles(o, c);
      t.is(secret.name, `fairsweep-grpc-${role}`, `${d} mounts its own certificate Secret`);
      t.true(secret.readable, `${d}: the Secret's files are readable by the container's user`);
      t.deepEqual([arg('--tls-cert'), arg('--tls-key'), arg('--tls-client-ca')], [secret.file('tls.crt'), secret.file('tls.key'), secret.file('ca.crt')], `${d}: certificate, key and client CA (mutual TLS) from the Secret`);
      if (role === 'worker') {
        // csv datasets are read only under --data-dir: it must be a mounted volume, read-only.
        const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === arg('--data-dir'));
        t.truthy(mount, `${d}: --data-dir ${arg('--data-dir') ?? '(missing)'} is a mounted volume`);
        t.true(mount?.readOnly, `${d}: the data directory is mounted read-only`);
      }
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        t.deepEqual(probe?.httpGet, { path: '/healthz', port: 'metrics' }, `${d}: a gRPC probe cannot present a client certificate`);
        t.is(probe?.grpc, undefined);
      }
    }
    for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'StatefulSet')) {
      for (const c of podSpec(o).containers) {
        for (const r of ['cpu', 'memory']) {
          t.truthy(c.resources?.requests?.[r], `${o.metadata.name}/${c.name} requests ${r}`);
          t.truthy(c.resources?.limits?.[r], `${o.metadata.name}/${c.name} limits ${r}`);
        }
      }
    }
  });

  test(`overlay ${name}: monitors select the coordinator Service and worker pods by their metrics port`, async (t) => {
    const objects = await overlay(name);
    const sm = find(objects, 'ServiceMonitor', 'fairsweep-coordinator').spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    const svc = find(objects, 'Service', 'fairsweep-coordinator');
    t.true(Object.entries(sm.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v), 'ServiceMonitor selects the coordinator Service');
    t.true((svc.spec as { ports: { name: string; port: number }[] }).ports.some((p) => p.name === sm.endpoints[0]?.port && p.port === 9464));
    const pm = find(objects, 'PodMonitor', 'fairsweep-worker').spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] };
    const worker = find(objects, 'Deployment', 'fairsweep-worker');
    const podLabels = (worker.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    t.true(Object.entries(pm.selector.matchLabels).every(([k, v]) => podLabels[k] === v), 'PodMonitor selects worker pods');
    const c = container(worker);
    t.true(c.ports?.some((p) => p.name === pm.podMetricsEndpoints[0]?.port && p.containerPort === 9465));
    t.is((c.args ?? [])[(c.args ?? []).indexOf('--metrics') + 1], '0.0.0.0:9465');
    const rule = find(objects, 'PrometheusRule', 'fairsweep').spec;
    t.deepEqual(rule, await readRepoYaml('deploy', 'prometheus', 'alerts.yml'), 'PrometheusRule carries the groups of deploy/prometheus/alerts.yml');
  });
}

test('NATS: a 3-server JetStream cluster with routes to every server, a PVC each, and a config that nats-server accepts only with the users of `fairsweep credentials`', async (t) => {
  const objects = await overlay('gpu');
  const sts = find(objects, 'StatefulSet', 'nats');
  const spec = sts.spec as { replicas: number; serviceName: string; volumeClaimTemplates: { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }[] };
  t.is(spec.replicas, 3);
  t.is(find(objects, 'Service', spec.serviceName).spec?.clusterIP, 'None');
  t.is(spec.volumeClaimTemplates[0]?.metadata.name, 'data');
  t.truthy(spec.volumeClaimTemplates[0]?.spec.resources.requests.storage);
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config'));
  const conf = configMap?.data?.['nats.conf'] ?? '';
  const routes = [...conf.matchAll(/nats:\/\/(nats-\d+)\.nats-headless:6222/g)].map((m) => m[1]);
  t.deepEqual(routes, ['nats-0', 'nats-1', 'nats-2'], 'one route per StatefulSet pod');
  t.regex(conf, /jetstream\s*\{[^}]*store_dir:\s*\/data/);
  const probes = container(sts);
  t.is(probes.livenessProbe?.httpGet?.path, '/healthz?js-enabled-only=true');
  // The users come from the Secret fairsweep-nats-auth, mounted where nats.conf includes them from.
  const include = /^include\s+"([^"]+)"/m.exec(conf)?.[1] ?? '';
  t.false(/^\s*(authorization|no_auth_user|accounts)\b/m.test(conf), 'the one authorization is the included file');
  const configMount = probes.volumeMounts?.find((m) => m.name === podSpec(sts).volumes?.find((v) => v.configMap?.name.startsWith('nats-config'))?.name);
  const args = probes.args ?? [];
  t.is(args[args.indexOf('--config') + 1], `${configMount?.mountPath ?? '?'}/nats.conf`);
  const auth = secretAt(sts, probes, posix.join(configMount?.mountPath ?? '/', include));
  t.is(auth.name, 'fairsweep-nats-auth');
  t.true(auth.readable, 'the NATS user reads the mounted users file');
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-natsconf-'));
  try {
    // The pod's layout: the ConfigMap and the Secret side by side, filled from a generated set.
    const creds = join(dir, 'credentials');
    await writeCredentials({ dir: creds, tls: false });
    const confPath = join(dir, 'etc', configMount?.mountPath ?? '', 'nats.conf');
    await mkdir(dirname(confPath), { recursive: true });
    await writeFile(confPath, conf);
    const env = { ...process.env, SERVER_NAME: 'nats-0' };
    const check = (): Promise<{ stdout: string; stderr: string }> => exec('nats-server', ['-t', '-c', confPath], { env, timeout: 30_000 });
    await t.throwsAsync(check(), undefined, 'without the users file, nats-server does not start (it never runs open)');
    const authPath = join(dir, 'etc', auth.file('nats-auth.conf'));
    await mkdir(dirname(authPath), { recursive: true });
    await writeFile(authPath, await readFile(join(creds, CREDENTIAL_PATHS.natsAuth)));
    const { stdout, stderr } = await check();
    t.regex(stdout + stderr, /is valid/);
    await writeFile(confPath, conf.replace('jetstream {', 'jetstream {\n  store_dir: [broken'));
    await t.throwsAsync(check(), undefined, 'nats-server rejects a broken config');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('kubectl makes every Secret the manifests read from the output of `fairsweep credentials`, with the keys they read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-secrets-'));
  try {
    await writeCredentials({ dir });
    const made = new Map<string, string[]>();
    for (const secret of KUBERNETES_SECRETS) {
      const { stdout } = await exec('kubectl', [...kubectlCreateSecret(secret, dir), '--dry-run=client', '-o', 'json'], { timeout: 30_000 });
      const obj = JSON.parse(stdout) as { kind: string; metadata: { name: string }; data?: Record<string, string> };
      t.is(obj.kind, 'Secret');
      made.set(obj.metadata.name, Object.keys(obj.data ?? {}).sort());
    }
    for (const name of OVERLAYS) {
      const objects = await overlay(name);
      const wanted: [string, string][] = [];
      for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'StatefulSet')) {
        for (const c of podSpec(o).containers) {
          for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) wanted.push([e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]);
          for (const e of c.envFrom ?? []) if (e.secretRef) wanted.push([e.secretRef.name, '*']);
          for (const m of c.volumeMounts ?? []) {
            const secret = podSpec(o).volumes?.find((v) => v.name === m.name)?.secret?.secretName;
            if (!secret) continue;
            const used = (c.args ?? []).flatMap((a) => (a.startsWith(`${m.mountPath}/`) ? [a.slice(m.mountPath.length + 1)] : []));
            wanted.push(...used.map((k): [string, string] => [secret, k]));
            if (used.length === 0) wanted.push([secret, '*']);
          }
        }
      }
      t.true(wanted.length >= 9, `${name}: the NATS servers, coordinator and workers read their Secrets`);
      for (const [secret, key] of wanted) {
        const keys = made.get(secret);
        t.truthy(keys, `${name}: Secret ${secret} is made by a documented command`);
        if (key !== '*') t.true(keys?.includes(key), `${name}: Secret ${secret} has key ${key} (it has ${keys?.join(', ')})`);
      }
    }
    const docs = await readRepoText('docs', 'deployment.md');
    for (const secret of KUBERNETES_SECRETS) {
      const line = `kubectl ${kubectlCreateSecret(secret, '$CREDS').join(' ')}`;
      t.true(docs.includes(line), `docs/deployment.md shows: ${line}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('GPU overlay: each worker requests one nvidia.com/gpu, tolerates GPU nodes and passes --gpu 0; CPU overlay requests none', async (t) => {
  const gpu = container(find(await overlay('gpu'), 'Deployment', 'fairsweep-worker'));
  t.is(Number(gpu.resources?.limits?.['nvidia.com/gpu']), 1);
  t.is(Number(gpu.resources?.requests?.['nvidia.com/gpu']), 1);
  t.deepEqual((gpu.args ?? []).slice((gpu.args ?? []).indexOf('--gpu'), (gpu.args ?? []).indexOf('--gpu') + 2), ['--gpu', '0']);
  t.regex(gpu.image ?? '', /worker-gpu/);
  t.true(podSpec(find(await overlay('gpu'), 'Deployment', 'fairsweep-worker')).tolerations?.some((x) => x.key === 'nvidia.com/gpu') ?? false);
  const cpu = container(find(await overlay('cpu'), 'Deployment', 'fairsweep-worker'));
  t.is(cpu.resources?.limits?.['nvidia.com/gpu'], undefined);
  t.false((cpu.args ?? []).includes('--gpu'));
  t.regex(cpu.image ?? '', /worker-cpu/);
});

test('a broken manifest is rejected by the schema check', async (t) => {
  const objects = await overlay('cpu');
  const deployment = structuredClone(find(objects, 'Deployment', 'fairsweep-worker'));
  (deployment.spec as Record<string, unknown>).replicas = 'four';
  const err = await t.throwsAsync(validateObject(deployment), { instanceOf: ManifestError });
  t.regex(err?.message ?? '', /Deployment\/fairsweep-worker.*replicas must be integer/);
  const noImage = structuredClone(find(objects, 'StatefulSet', 'nats'));
  podSpec(noImage).containers[0] = { name: 'nats', ports: [{ containerPort: 'client' as unknown as number }] };
  await t.throwsAsync(validateObject(noImage), { instanceOf: ManifestError, message: /containerPort must be integer/ });
  const monitor = structuredClone(find(objects, 'ServiceMonitor', 'fairsweep-coordinator'));
  (monitor.spec as Record<string, unknown>).endpoints = [{ port: 9464 }];
  await t.throwsAsync(validateObject(monitor), { instanceOf: ManifestError, message: /endpoints\/0\/port must be string/ });
  await t.throwsAsync(validateObject({ ...deployment, apiVersion: 'apps/v9' }), { instanceOf: ManifestError, message: /no schema/ });
});

test('docker compose file passes the Compose Specification schema; a broken one does not', async (t) => {
  const { composeValidator } = await import('./helpers/compose-schema.js');
  const validate = await composeValidator();
  const compose = await readRepoYaml('deploy', 'compose', 'docker-compose.yml');
  t.deepEqual(validate(compose), []);
  if (!isRecord(compose) || !isRecord(compose.services)) return t.fail('no services');
  t.deepEqual(Object.keys(compose.services).sort(), ['coordinator', 'grafana', 'nats', 'prometheus', 'worker', 'worker-gpu']);
  const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
  broken.services.worker!.deploy = { replicas: 'many', resource: {} };
  const errors = validate(broken);
  t.true(errors.some((e) => e.includes('/services/worker/deploy')), errors.join('\n'));
  t.true(validate({ ...broken, servics: {} }).length > 0, 'unknown top-level key');
});

interface ComposeService {
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  volumes?: string[];
  user?: string;
  environment?: Record<string, string>;
  env_file?: string[];
  secrets?: { source: string; target: string }[];
  deploy?: { replicas?: unknown; resources?: { reservations?: { devices?: { capabilities: string[]; count: number }[] } } };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file: string }>;
}

/** Where compose reads the output of `fairsweep credentials deploy/compose/credentials`. */
const COMPOSE_CREDENTIALS = './credentials';

test('docker compose: images build from deploy/docker, commands use known CLI flags, mounted files exist, JetStream is on', async (t) => {
  const compose = (await readRepoYaml('deploy', 'compose', 'docker-compose.yml')) as ComposeFile;
  const composeDir = repoPath('deploy', 'compose');
  for (const [name, s] of Object.entries(compose.services)) {
    if (s.build) t.true(existsSync(join(composeDir, s.build.context, s.build.dockerfile)), `${name}: ${s.build.dockerfile}`);
    for (const v of s.volumes ?? []) {
      const src = v.split(':')[0] ?? '';
      if (src.startsWith('.')) t.true(existsSync(join(composeDir, src)), `${name} mounts ${src}`);
    }
    if (name === 'coordinator' || name.startsWith('worker')) {
      t.true(Array.isArray(s.command));
      t.deepEqual(unknownCliFlags(s.command as string[]), [], `${name} command`);
    }
  }
  t.regex(await readRepoText('deploy', 'compose', 'nats.conf'), /^jetstream\s*\{[^}]*store_dir:\s*\/data/m);
  t.deepEqual(compose.services['worker-gpu']?.deploy?.resources?.reservations?.devices?.[0], { driver: 'nvidia', count: 1, capabilities: ['gpu', 'compute', 'utility', 'graphics'] });
  t.true((compose.services['worker-gpu']?.command as string[]).join(' ').includes('--gpu 0'));
});

test('docker compose: NATS admits only the users of `fairsweep credentials`, each service its own role; gRPC requires mutual TLS', async (t) => {
  const compose = (await readRepoYaml('deploy', 'compose', 'docker-compose.yml')) as ComposeFile;
  const secretFile = (service: ComposeService, target: string | undefined): string | undefined => {
    const source = service.secrets?.find((x) => x.target === target)?.source;
    return source === undefined ? undefined : compose.secrets?.[source]?.file;
  };
  const inCredentials = (p: string): string => `${COMPOSE_CREDENTIALS}/${p}`;
  // NATS: its configuration includes nats-auth.conf from its own folder, where the secret is mounted.
  const nats = compose.services.nats;
  if (!nats) return t.fail('no nats service');
  const confTarget = (nats.volumes ?? []).find((v) => v.startsWith('./nats.conf:'))?.split(':')[1];
  t.deepEqual(nats.command, ['--config', confTarget]);
  const conf = await readRepoText('deploy', 'compose', 'nats.conf');
  const include = /^include\s+"([^"]+)"/m.exec(conf)?.[1] ?? '';
  t.false(/^\s*(authorization|no_auth_user|accounts)\b/m.test(conf), 'the one authorization is the included file');
  t.is(secretFile(nats, posix.join(posix.dirname(confTarget ?? '/'), include)), inCredentials(CREDENTIAL_PATHS.natsAuth));
  for (const [name, role] of [['coordinator', 'coordinator'], ['worker', 'worker'], ['worker-gpu', 'worker']] as const) {
    const s = compose.services[name];
    if (!s) return t.fail(`no ${name} service`);
    t.deepEqual(s.env_file, [inCredentials(CREDENTIAL_PATHS.natsEnv(role))], `${name} connects as the ${role} role`);
    t.false(Object.keys(s.environment ?? {}).some((k) => /USER|PASSWORD|TOKEN/.test(k)), `${name}: no shared NATS credential in the environment`);
    const cmd = Array.isArray(s.command) ? s.command : [];
    const arg = (flag: string): string | undefined => cmd[cmd.indexOf(flag) + 1];
    t.true(cmd.includes('--tls-client-ca'), `${name}: gRPC requires client certificates`);
    t.deepEqual(
      [secretFile(s, arg('--tls-cert')), secretFile(s, arg('--tls-key')), secretFile(s, arg('--tls-client-ca'))],
      [inCredentials(CREDENTIAL_PATHS.tls.cert(role)), inCredentials(CREDENTIAL_PATHS.tls.key(role)), inCredentials(CREDENTIAL_PATHS.tls.caCert)],
      `${name}: its own certificate and key, and the CA of the client certificates`,
    );
    t.regex(s.user ?? '', /^\$\{FAIRSWEEP_UID:-1000\}:\$\{FAIRSWEEP_GID:-1000\}$/, `${name} runs as the owner of the 0600 key files`);
    if (role === 'worker') {
      const dataDir = arg('--data-dir');
      t.truthy(dataDir, `${name}: csv datasets are read under --data-dir`);
      t.true((s.volumes ?? []).some((v) => v.endsWith(`:${dataDir ?? ''}:ro`)), `${name}: --data-dir ${dataDir ?? ''} is a read-only mount`);
    }
  }
  t.false(Object.values(compose.secrets ?? {}).some((x) => x.file.endsWith('ca.key')), 'the CA key is mounted nowhere');
  // nats-server accepts the compose configuration with a generated users file beside it, and refuses it without.
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-compose-nats-'));
  try {
    await writeFile(join(dir, 'nats.conf'), conf);
    const check = (): Promise<{ stdout: string; stderr: string }> => exec('nats-server', ['-t', '-c', join(dir, 'nats.conf')], { timeout: 30_000 });
    await t.throwsAsync(check(), undefined, 'no users file, no server');
    await writeCredentials({ dir: join(dir, 'credentials'), tls: false });
    await writeFile(join(dir, include), await readFile(join(dir, 'credentials', CREDENTIAL_PATHS.natsAuth)));
    const { stdout, stderr } = await check();
    t.regex(stdout + stderr, /is valid/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Dockerfiles lint clean, use the required bases, COPY only what the build context holds, and run known CLI flags', async (t) => {
  const { lintDockerfile, dockerIgnored } = await import('./helpers/dockerfiles.js');
  const ignore = await readRepoText('.dockerignore');
  const ignored = dockerIgnored(ignore);
  for (const local of ['node_modules', 'worker/node_modules', 'dist', 'proto/gen', '.git', 'out', 'deploy/compose/.env', 'certs/server.key', 'deploy/compose/credentials/nats/worker.env', 'deploy/compose/credentials/tls/ca.key', 'creds/nats-auth.conf']) t.true(ignored(local), `${local} stays out of the build context`);
  for (const needed of ['package.json', 'package-lock.json', 'proto', 'coordinator', 'worker', 'examples', 'buf.gen.yaml']) t.false(ignored(needed), `${needed} is in the build context`);
  const coordinator = await lintDockerfile('coordinator.Dockerfile', ignore);
  t.deepEqual(coordinator.problems, []);
  t.deepEqual(coordinator.finalBase, 'node:20-slim');
  t.deepEqual(coordinator.cmd[0], 'coordinator');
  const cpu = await lintDockerfile('worker-cpu.Dockerfile', ignore);
  t.deepEqual(cpu.problems, []);
  t.is(cpu.finalBase, 'node:20-slim');
  t.regex(cpu.text, /npm install [^\n]*@tensorflow\/tfjs-node@\$\{TFJS_NODE\}/);
  const gpu = await lintDockerfile('worker-gpu.Dockerfile', ignore);
  t.deepEqual(gpu.problems, []);
  t.is(gpu.finalBase, 'node:20-slim', 'webgpu needs no CUDA image');
  t.regex(gpu.text, /apt-get install [^\n]*libvulkan1/, "Dawn's Vulkan loader");
  t.regex(gpu.text, /NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/, "graphics: the toolkit mounts the driver's Vulkan ICD");
  t.notRegex(gpu.text, /--omit=optional|tfjs-node-gpu@/, 'the optional webgpu packages stay installed');
  const pkg = JSON.parse(await readRepoText('package.json')) as { peerDependencies: Record<string, string>; optionalDependencies: Record<string, string> };
  t.truthy(pkg.optionalDependencies.webgpu && pkg.optionalDependencies['@tensorflow/tfjs-backend-webgpu'], 'npm ci installs the webgpu backend');
  t.deepEqual(gpu.cmd.slice(gpu.cmd.indexOf('--gpu'), gpu.cmd.indexOf('--gpu') + 2), ['--gpu', '0']);
  const cuda = await lintDockerfile('worker-gpu-cuda11.Dockerfile', ignore);
  t.deepEqual(cuda.problems, []);
  t.regex(cuda.finalBase, /^nvidia\/cuda:11\.8\.\d+-cudnn8-runtime-/, 'CUDA 11.8 with cuDNN 8 for tfjs-node-gpu 4.22');
  t.is(cuda.args.TFJS_NODE_GPU, '4.22.0');
  t.regex(cuda.text, /npm install [^\n]*@tensorflow\/tfjs-node-gpu@\$\{TFJS_NODE_GPU\}/);
  t.is(pkg.peerDependencies['@tensorflow/tfjs-node-gpu'], `^${cuda.args.TFJS_NODE_GPU}`, 'the image installs the version package.json supports');
  for (const [image, cmd] of [['coordinator', coordinator.cmd], ['worker-cpu', cpu.cmd], ['worker-gpu', gpu.cmd], ['worker-gpu-cuda11', cuda.cmd]] as const) {
    const arg = (flag: string): string | undefined => (cmd.includes(flag) ? cmd[cmd.indexOf(flag) + 1] : undefined);
    t.deepEqual([arg('--tls-cert'), arg('--tls-key'), arg('--tls-client-ca')], ['/etc/fairsweep/tls/tls.crt', '/etc/fairsweep/tls/tls.key', '/etc/fairsweep/tls/ca.crt'], `${image}: by default the image serves gRPC with mutual TLS from the mounted certificates`);
  }
  const broken = await lintDockerfile('coordinator.Dockerfile', ignore, (text) => text.replace('EXPOSE 50051 9464', 'EXPOSE grpc').replace('COPY proto ./proto', 'COPY protos ./proto').replace('"--grpc"', '"--grcp"'));
  t.true(broken.problems.some((p) => /containerPort|port/i.test(p)), broken.problems.join('\n'));
  t.true(broken.problems.some((p) => p.includes('protos')), broken.problems.join('\n'));
  t.true(broken.problems.some((p) => p.includes('--grcp')), broken.problems.join('\n'));
});
