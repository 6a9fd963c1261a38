import type { Command } from 'commander';
import type { GrpcTlsOptions, NatsClientOptions } from '../common/index.js';

/** NATS connection flags shared by every command that connects; secrets may come from the environment instead. */
export function addNatsFlags(cmd: Command, required: boolean): Command {
  const o = required ? cmd.requiredOption.bind(cmd) : cmd.option.bind(cmd);
  o('--nats <url>', 'NATS server URL(s), comma-separated', process.env.FAIRSWEEP_NATS_URL);
  return cmd
    .option('--nats-user <user>', 'NATS user (or FAIRSWEEP_NATS_USER)', process.env.FAIRSWEEP_NATS_USER)
    .option('--nats-password <password>', 'NATS password (prefer FAIRSWEEP_NATS_PASSWORD)', process.env.FAIRSWEEP_NATS_PASSWORD)
    .option('--nats-token <token>', 'NATS token (prefer FAIRSWEEP_NATS_TOKEN)', process.env.FAIRSWEEP_NATS_TOKEN)
    .option('--nats-creds <file>', 'NATS .creds file (JWT + nkey)')
    .option('--nats-nkey <file>', 'NATS nkey seed file')
    .option('--nats-ca <file>', 'CA certificate for NATS TLS')
    .option('--nats-cert <file>', 'client certificate for NATS TLS')
    .option('--nats-key <file>', 'client key for NATS TLS');
}

export interface NatsFlagValues {
  nats?: string;
  natsUser?: string;
  natsPassword?: string;
  natsToken?: string;
  natsCreds?: string;
  natsNkey?: string;
  natsCa?: string;
  natsCert?: string;
  natsKey?: string;
}

export function natsOptionsFrom(v: NatsFlagValues, url: string): NatsClientOptions {
  return {
    servers: url,
    ...(v.natsUser ? { user: v.natsUser, pass: v.natsPassword ?? '' } : {}),
    ...(v.natsToken ? { token: v.natsToken } : {}),
    ...(v.natsCreds ? { credsFile: v.natsCreds } : {}),
    ...(v.natsNkey ? { nkeySeedFile: v.natsNkey } : {}),
    ...(v.natsCa || v.natsCert ? { tls: { caFile: v.natsCa, certFile: v.natsCert, keyFile: v.natsKey } } : {}),
  };
}

/** gRPC TLS flags: server side (--tls-cert/--tls-key/--tls-client-ca) and client side (--tls-ca). */
export function addTlsFlags(cmd: Command): Command {
  return cmd
    .option('--tls-cert <file>', 'TLS certificate (server: serve TLS; client: client certificate for mTLS)')
    .option('--tls-key <file>', 'TLS private key')
    .option('--tls-ca <file>', 'CA certificate to verify the peer')
    .option('--tls-client-ca <file>', 'server: require client certificates signed by this CA (mutual TLS)');
}

export interface TlsFlagValues {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsClientCa?: string;
}

export function tlsOptionsFrom(v: TlsFlagValues): GrpcTlsOptions | undefined {
  if (!v.tlsCert && !v.tlsCa && !v.tlsClientCa) return undefined;
  return { certFile: v.tlsCert, keyFile: v.tlsKey, caFile: v.tlsCa, clientCaFile: v.tlsClientCa };
}
