import { randomBytes } from 'node:crypto';
import { ROLE_PERMISSIONS, natsUserName, type NatsRole } from './nats-permissions.js';

/** Random bytes in a generated NATS password (256 bits). */
export const PASSWORD_BYTES = 32;

/** The NATS user of one role and its password. */
export interface NatsUserCredentials {
  role: NatsRole;
  user: string;
  password: string;
}

/** A fresh user with a random password for each role. */
export function generateNatsUsers(roles: readonly NatsRole[]): NatsUserCredentials[] {
  return [...new Set(roles)].map((role) => ({ role, user: natsUserName(role), password: randomBytes(PASSWORD_BYTES).toString('base64url') }));
}

const quote = (s: string): string => JSON.stringify(s);

function subjectList(grants: readonly { subject: string; why: string }[], indent: string): string {
  return grants.map((g) => `${indent}${quote(g.subject)}  # ${g.why}`).join('\n');
}

/** The account fairsweep's users share when it has a JetStream limit of its own. */
export const NATS_ACCOUNT = 'FAIRSWEEP';
/** Default JetStream file storage of that account: below the shipped servers' 9 GB max_file_store (10 Gi volumes). */
export const DEFAULT_JETSTREAM_MAX_FILE = '8GB';

/** A nats-server size: a number with an optional unit (B, K/KB, M/MB, G/GB, T/TB). */
export function isNatsSize(value: string): boolean {
  return /^\d+(\.\d+)?\s*([KMGT]B?|B)?$/i.test(value.trim());
}

/**
 * nats-server configuration for these users, each with its role's permissions (ROLE_PERMISSIONS).
 * Meant to be included from the server's own configuration (`include "nats-auth.conf"`). With
 * users listed, a connection without credentials is refused. With `jetstreamMaxFile`, the users
 * share the account NATS_ACCOUNT whose JetStream file storage is limited to it: the coordinator then
 * sees the limit (fairsweep_jetstream_storage_limit_bytes, the FairsweepJetStreamStoreFilling alert)
 * and refuses a sweep that does not fit before writing it. Without it, an `authorization` block.
 */
export function natsAuthConfig(users: readonly NatsUserCredentials[], jetstreamMaxFile?: string): string {
  if (jetstreamMaxFile !== undefined && !isNatsSize(jetstreamMaxFile)) throw new RangeError(`natsAuthConfig: not a size: ${JSON.stringify(jetstreamMaxFile)}`);
  if (users.length === 0) throw new RangeError('natsAuthConfig: no users');
  const blocks = users.map((u) => {
    const p = ROLE_PERMISSIONS[u.role];
    return [
      '    {',
      `      user: ${quote(u.user)}`,
      `      password: ${quote(u.password)}`,
      '      permissions: {',
      '        publish: { allow: [',
      subjectList(p.publish, '          '),
      '        ] }',
      '        subscribe: { allow: [',
      subjectList(p.subscribe, '          '),
      '        ] }',
      '      }',
      '    }',
    ].join('\n');
  });
  const header = [
    '# fairsweep NATS users, one per role, each with the least permissions its role needs',
    '# (cli/nats-permissions.ts). Written by `fairsweep credentials`; it holds passwords: keep it secret.',
    '# Include it from the nats-server configuration: include "nats-auth.conf"',
  ];
  if (jetstreamMaxFile === undefined) return [...header, 'authorization {', '  users = [', blocks.join('\n'), '  ]', '}', ''].join('\n');
  return [
    ...header,
    `# The users share the account ${NATS_ACCOUNT}, whose JetStream file storage is limited to ${jetstreamMaxFile}`,
    "# (keep it below the server's jetstream { max_file_store }).",
    'accounts {',
    `  ${NATS_ACCOUNT}: {`,
    `    jetstream: { max_file: ${jetstreamMaxFile.trim()} }`,
    '    users = [',
    blocks.map((b) => b.replace(/^/gm, '  ')).join('\n'),
    '    ]',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The environment file of one role: what `fairsweep coordinator` / `fairsweep worker` read for NATS. */
export function natsEnvFile(u: NatsUserCredentials): string {
  return [`# fairsweep NATS credentials of the ${u.role} role`, `FAIRSWEEP_NATS_USER=${u.user}`, `FAIRSWEEP_NATS_PASSWORD=${u.password}`, ''].join('\n');
}
