import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/**
 * A private CA and the certificates of fairsweep's gRPC mutual TLS: a server certificate for the
 * coordinator, one for the workers, and a client certificate for callers (the CLI, operators).
 *
 * Keys are RSA, made by node:crypto (native, fast); the certificates are assembled and signed with
 * node-forge, because node:crypto reads X.509 but cannot issue it. Nothing runs an external
 * program, so this works wherever Node does.
 */

/** RSA key size of the CA and every certificate. */
export const RSA_BITS = 2048;
/** Default validity of the server and client certificates, in days. */
export const DEFAULT_CERT_DAYS = 825;
/** Validity of the CA, in days (about 10 years). */
export const CA_DAYS = 3650;
/** Certificates are valid from this long before they are made (clock skew between machines). */
const BACKDATE_MS = 5 * 60_000;

/** Names every server certificate carries, so local tests and port-forwards verify. */
export const LOCAL_NAMES = ['localhost', '127.0.0.1', '::1'] as const;
/** The names the coordinator is reached by in the shipped deployments (compose service, Kubernetes Service). */
export const COORDINATOR_NAMES = ['coordinator', 'fairsweep-coordinator', 'fairsweep-coordinator.fairsweep', 'fairsweep-coordinator.fairsweep.svc', 'fairsweep-coordinator.fairsweep.svc.cluster.local'] as const;
/** The name a worker certificate is issued for; callers reaching a worker by address verify it with this name (gRPC `grpc.ssl_target_name_override`). */
export const WORKER_NAMES = ['worker', 'fairsweep-worker'] as const;

/** A certificate and its private key, PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

export interface GrpcCertificates {
  ca: PemPair;
  coordinator: PemPair;
  worker: PemPair;
  client: PemPair;
}

export interface GrpcCertificateOptions {
  /** Extra DNS names or IP addresses for both server certificates. */
  hosts?: readonly string[];
  /** Validity of the server and client certificates in days. Default DEFAULT_CERT_DAYS. */
  days?: number;
  /** Certificate times are relative to this. Default now. */
  now?: Date;
}

/** A host name or address that cannot go in a certificate. */
export class CertificateHostError extends Error {
  override name = 'CertificateHostError';
}

const DNS_NAME = /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Checks a `--grpc-host` value: a DNS name (a leading `*.` allowed) or an IP address. */
export function checkHost(host: string): string {
  if (isIP(host) !== 0 || DNS_NAME.test(host)) return host;
  throw new CertificateHostError(`--grpc-host: "${host}" is neither a DNS name nor an IP address`);
}

interface Issuer {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function rsaKey(): { pem: string; priv: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { pem, priv: forge.pki.privateKeyFromPem(pem), pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) };
}

/** A positive 128-bit serial number, hex. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function altNames(hosts: readonly string[]): { type: number; value?: string; ip?: string }[] {
  return [...new Set(hosts)].map((h) => (isIP(h) !== 0 ? { type: 7, ip: h } : { type: 2, value: h }));
}

function issue(
  commonName: string,
  days: number,
  now: Date,
  extensions: object[],
  issuer: Issuer | undefined,
): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; pem: PemPair } {
  const k = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = k.pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  const subject = [
    { name: 'organizationName', value: 'fairsweep' },
    { name: 'commonName', value: commonName },
  ];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  cert.setExtensions([
    ...extensions,
    { name: 'subjectKeyIdentifier' },
    ...(issuer ? [{ name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() }] : []),
  ]);
  cert.sign(issuer?.key ?? k.priv, forge.md.sha256.create());
  return { cert, key: k.priv, pem: { cert: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n'), key: k.pem } };
}

function leaf(ca: Issuer, commonName: string, usage: 'server' | 'client', hosts: readonly string[], days: number, now: Date): PemPair {
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: usage === 'client' },
  ];
  if (hosts.length > 0) extensions.push({ name: 'subjectAltName', altNames: altNames(hosts) });
  return issue(commonName, days, now, extensions, ca).pem;
}

/** A new CA, and server certificates for the coordinator and the workers and a client certificate, signed by it. */
export function generateGrpcCertificates(options: GrpcCertificateOptions = {}): GrpcCertificates {
  const days = options.days ?? DEFAULT_CERT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > CA_DAYS) throw new RangeError(`certificate validity: expected whole days from 1 to ${CA_DAYS}, got ${days}`);
  const now = options.now ?? new Date();
  const extra = (options.hosts ?? []).map(checkHost);
  const ca = issue(
    'fairsweep gRPC CA',
    CA_DAYS,
    now,
    [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
    undefined,
  );
  return {
    ca: ca.pem,
    coordinator: leaf(ca, 'fairsweep-coordinator', 'server', [...COORDINATOR_NAMES, ...LOCAL_NAMES, ...extra], days, now),
    worker: leaf(ca, 'fairsweep-worker', 'server', [...WORKER_NAMES, ...LOCAL_NAMES, ...extra], days, now),
    client: leaf(ca, 'fairsweep-client', 'client', [], days, now),
  };
}
