import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import { generateGrpcCertificates, CertificateHostError, DEFAULT_CERT_DAYS, type GrpcCertificates } from './grpc-certificates.js';
import { DEFAULT_JETSTREAM_MAX_FILE, generateNatsUsers, isNatsSize, natsAuthConfig, natsEnvFile } from './nats-auth-config.js';
import { NATS_ROLES, isNatsRole, type NatsRole } from './nats-permissions.js';
import { CREDENTIAL_PATHS, KUBERNETES_SECRETS, kubectlCreateSecret } from './credential-layout.js';

/** Roles written when --roles is not given: what a cluster runs (the local role is asked for by name). */
export const DEFAULT_ROLES: readonly NatsRole[] = ['coordinator', 'worker', 'client'];

export interface CredentialsOptions {
  /** Directory to write into (created if missing). */
  dir: string;
  /** NATS roles to make users for. Default DEFAULT_ROLES. */
  roles?: readonly NatsRole[];
  /** Also make the gRPC CA and certificates. Default true. */
  tls?: boolean;
  /** Extra DNS names / IP addresses of the server certificates. */
  hosts?: readonly string[];
  /** Validity of the certificates, in days. */
  days?: number;
  /** Overwrite files that exist. Default false: refuse. */
  force?: boolean;
  /** JetStream file storage of the users' account (a nats-server size); null: no account limit. Default DEFAULT_JETSTREAM_MAX_FILE. */
  jetstreamMaxFile?: string | null;
}

/** One file written: its path relative to the directory, and whether it is secret (mode 0600). */
export interface WrittenFile {
  path: string;
  secret: boolean;
}

/** The files of a credentials set, with their contents; nothing is written. */
export function credentialFiles(options: Omit<CredentialsOptions, 'dir' | 'force'> = {}): (WrittenFile & { text: string })[] {
  const roles = options.roles ?? DEFAULT_ROLES;
  if (roles.length === 0) throw new CliError('--roles: give at least one role');
  const users = generateNatsUsers(roles);
  const maxFile = options.jetstreamMaxFile === undefined ? DEFAULT_JETSTREAM_MAX_FILE : options.jetstreamMaxFile;
  if (maxFile !== null && !isNatsSize(maxFile)) throw new CliError(`--jetstream-max-file: expected a size such as 8GB or 500MB, or none, got "${maxFile}"`);
  const files: (WrittenFile & { text: string })[] = [{ path: CREDENTIAL_PATHS.natsAuth, secret: true, text: natsAuthConfig(users, maxFile ?? undefined) }];
  for (const u of users) files.push({ path: CREDENTIAL_PATHS.natsEnv(u.role), secret: true, text: natsEnvFile(u) });
  if (options.tls ?? true) {
    let certs: GrpcCertificates;
    try {
      certs = generateGrpcCertificates({ ...(options.hosts ? { hosts: options.hosts } : {}), ...(options.days !== undefined ? { days: options.days } : {}) });
    } catch (err) {
      if (err instanceof CertificateHostError || err instanceof RangeError) throw new CliError(err.message);
      throw err;
    }
    files.push({ path: CREDENTIAL_PATHS.tls.caCert, secret: false, text: certs.ca.cert }, { path: CREDENTIAL_PATHS.tls.caKey, secret: true, text: certs.ca.key });
    for (const who of ['coordinator', 'worker', 'client'] as const) {
      files.push({ path: CREDENTIAL_PATHS.tls.cert(who), secret: false, text: certs[who].cert }, { path: CREDENTIAL_PATHS.tls.key(who), secret: true, text: certs[who].key });
    }
  }
  return files;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Writes a new credentials set into `dir`: the nats-server authorization (nats-auth.conf), one
 * environment file per NATS role (nats/ROLE.env) and, unless `tls` is false, the gRPC CA and
 * certificates (tls/). Refuses, writing nothing, when any of these files exists, unless `force`.
 * Secrets are written with mode 0600, certificates 0644, directories 0700.
 */
export async function writeCredentials(options: CredentialsOptions): Promise<WrittenFile[]> {
  const dir = resolve(options.dir);
  const files = credentialFiles(options);
  if (!options.force) {
    const present: string[] = [];
    for (const f of files) if (await exists(join(dir, f.path))) present.push(f.path);
    if (present.length > 0) {
      throw new CliError(`${dir} already holds ${present.join(', ')}; new credentials would replace them (and lock out whatever uses the old ones). Pass --force to overwrite, or choose another directory`);
    }
  }
  for (const sub of new Set(files.map((f) => join(dir, f.path, '..')))) await mkdir(sub, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const path = join(dir, f.path);
    const mode = f.secret ? 0o600 : 0o644;
    await writeFile(path, f.text, { mode, flag: options.force ? 'w' : 'wx' });
    await chmod(path, mode);
  }
  return files.map(({ path, secret }) => ({ path, secret }));
}

function parseRoles(value: string): NatsRole[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = roles.filter((r) => !isNatsRole(r));
  if (bad.length > 0 || roles.length === 0) throw new CliError(`--roles: expected a comma-separated list of ${NATS_ROLES.join(', ')}, got "${value}"`);
  return roles.filter(isNatsRole);
}

/** `fairsweep credentials DIR`: NATS users per role and gRPC mTLS certificates for a deployment. */
export function addCredentialsCommand(program: Command): void {
  program
    .command('credentials')
    .description('write NATS users with per-role permissions (nats-auth.conf, nats/ROLE.env) and gRPC mutual-TLS certificates (tls/) into a directory')
    .argument('<dir>', 'directory to write into (e.g. deploy/compose/credentials)')
    .option('--roles <list>', `NATS roles to make users for: ${NATS_ROLES.join(', ')}`, DEFAULT_ROLES.join(','))
    .option('--no-tls', 'skip the gRPC CA and certificates')
    .option('--grpc-host <name>', 'extra DNS name or IP address for the server certificates (repeat for each)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--days <n>', 'validity of the server and client certificates, in days', String(DEFAULT_CERT_DAYS))
    .option('--force', 'overwrite existing credential files')
    .option('--jetstream-max-file <size>', "JetStream file storage of the account the users share (below the server's max_file_store), or none for no account limit", DEFAULT_JETSTREAM_MAX_FILE)
    .action(async (dir: string, o: { roles: string; tls: boolean; grpcHost?: string[]; days: string; force?: boolean; jetstreamMaxFile: string }) => {
      const days = Number(o.days);
      if (!Number.isInteger(days)) throw new CliError(`--days: expected a whole number of days, got "${o.days}"`);
      const written = await writeCredentials({ dir, roles: parseRoles(o.roles), tls: o.tls, days, force: o.force ?? false, jetstreamMaxFile: o.jetstreamMaxFile === 'none' ? null : o.jetstreamMaxFile, ...(o.grpcHost ? { hosts: o.grpcHost } : {}) });
      const lines = written.map((f) => `  ${join(dir, f.path)}${f.secret ? '  (secret)' : ''}`);
      const paths = new Set(written.map((f) => f.path));
      const secrets = KUBERNETES_SECRETS.filter((s) => [s.envFile, ...Object.values(s.files ?? {})].every((p) => p === undefined || paths.has(p)));
      process.stdout.write(
        [
          `wrote ${written.length} files:`,
          ...lines,
          'Keep tls/ca.key off the servers. docker compose reads deploy/compose/credentials; on Kubernetes make the Secrets:',
          ...secrets.map((s) => `  kubectl ${kubectlCreateSecret(s, dir).join(' ')}`),
          'See docs/deployment.md.',
          '',
        ].join('\n'),
      );
    });
}
