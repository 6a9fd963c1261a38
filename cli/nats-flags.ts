import type { Command } from 'commander';
import type { GrpcTlsOptions, NatsClientOptions } from '../common/index.js';
import { CliError } from './cli-error.js';

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

/** gRPC TLS flags of a server (coordinator, worker): its certificate, and optionally the CA its clients' certificates must chain to. */
export function addServerTlsFlags(cmd: Command): Command {
  return cmd
    .option('--tls-cert <file>', 'serve gRPC over TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
    .option('--tls-client-ca <file>', 'require client certificates signed by this CA (mutual TLS)');
}

/** gRPC TLS flags of a client (submit, status, watch...): the CA that signed the server, and a client certificate for mutual TLS. */
export function addClientTlsFlags(cmd: Command): Command {
  return cmd
    .option('--tls-ca <file>', 'connect over TLS, verifying the coordinator against this CA (PEM)')
    .option('--tls-cert <file>', 'client certificate, when the coordinator requires mutual TLS (PEM)')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)');
}

export interface TlsFlagValues {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsClientCa?: string;
}

/**
 * A server's TLS options (coordinator, worker), as given. The servers check them (common/grpc.ts
 * checkServerTls): a certificate without its key, or a client CA without both, is an error, not plaintext.
 */
export function tlsOptionsFrom(v: TlsFlagValues): GrpcTlsOptions | undefined {
  if (!v.tlsCert && !v.tlsKey && !v.tlsClientCa) return undefined;
  return { ...(v.tlsCert ? { certFile: v.tlsCert } : {}), ...(v.tlsKey ? { keyFile: v.tlsKey } : {}), ...(v.tlsClientCa ? { clientCaFile: v.tlsClientCa } : {}) };
}

/** A client's TLS options; a client certificate without its key, or the reverse, is an error. */
export function clientTlsOptionsFrom(v: TlsFlagValues): GrpcTlsOptions | undefined {
  if (!v.tlsCa && !v.tlsCert && !v.tlsKey) return undefined;
  if (Boolean(v.tlsCert) !== Boolean(v.tlsKey)) throw new CliError('a client certificate needs both --tls-cert and --tls-key');
  return { ...(v.tlsCa ? { caFile: v.tlsCa } : {}), ...(v.tlsCert ? { certFile: v.tlsCert, keyFile: v.tlsKey } : {}) };
}
