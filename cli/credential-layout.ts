import { join } from 'node:path';
import type { NatsRole } from './nats-permissions.js';

/** Who holds a gRPC certificate: the two servers and the callers. */
export type CertificateHolder = 'coordinator' | 'worker' | 'client';

/**
 * Where `fairsweep credentials` puts each file, relative to its directory. The deployments refer
 * to these paths: docker compose reads them from deploy/compose/credentials, Kubernetes Secrets are
 * made from them (KUBERNETES_SECRETS).
 */
export const CREDENTIAL_PATHS = {
  /** nats-server `authorization` block: every user, its password and its permissions. */
  natsAuth: 'nats-auth.conf',
  /** FAIRSWEEP_NATS_USER / FAIRSWEEP_NATS_PASSWORD of one role. */
  natsEnv: (role: NatsRole): string => join('nats', `${role}.env`),
  tls: {
    caCert: join('tls', 'ca.crt'),
    /** Signs the certificates; stays with whoever makes them, never on a server. */
    caKey: join('tls', 'ca.key'),
    cert: (who: CertificateHolder): string => join('tls', `${who}.crt`),
    key: (who: CertificateHolder): string => join('tls', `${who}.key`),
  },
} as const;

/** A Kubernetes Secret the manifests of deploy/k8s read, and the credential files it is made from. */
export interface SecretSource {
  name: string;
  /** Secret key → file; or `envFile`, whose KEY=VALUE lines become the keys. */
  files?: Readonly<Record<string, string>>;
  envFile?: string;
}

const grpcSecret = (who: 'coordinator' | 'worker'): SecretSource => ({
  name: `fairsweep-grpc-${who}`,
  files: { 'ca.crt': CREDENTIAL_PATHS.tls.caCert, 'tls.crt': CREDENTIAL_PATHS.tls.cert(who), 'tls.key': CREDENTIAL_PATHS.tls.key(who) },
});

/** The Secrets of deploy/k8s: the NATS servers' users, each role's NATS user, each server's gRPC certificate and client CA. */
export const KUBERNETES_SECRETS: readonly SecretSource[] = [
  { name: 'fairsweep-nats-auth', files: { 'nats-auth.conf': CREDENTIAL_PATHS.natsAuth } },
  { name: 'fairsweep-nats-coordinator', envFile: CREDENTIAL_PATHS.natsEnv('coordinator') },
  { name: 'fairsweep-nats-worker', envFile: CREDENTIAL_PATHS.natsEnv('worker') },
  grpcSecret('coordinator'),
  grpcSecret('worker'),
];

/** `kubectl` arguments creating `secret` from the credentials in `dir`. */
export function kubectlCreateSecret(secret: SecretSource, dir: string, namespace = 'fairsweep'): string[] {
  const sources = secret.envFile !== undefined ? [`--from-env-file=${join(dir, secret.envFile)}`] : Object.entries(secret.files ?? {}).map(([key, file]) => `--from-file=${key}=${join(dir, file)}`);
  return ['-n', namespace, 'create', 'secret', 'generic', secret.name, ...sources];
}
