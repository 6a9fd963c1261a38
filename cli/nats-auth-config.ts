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

/**
 * nats-server configuration for these users: an `authorization` block giving each user its role's
 * permissions (ROLE_PERMISSIONS). Meant to be included from the server's own configuration
 * (`include "nats-auth.conf"`). With users listed, a connection without credentials is refused.
 */
export function natsAuthConfig(users: readonly NatsUserCredentials[]): string {
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
  return [
    '# fairsweep NATS users, one per role, each with the least permissions its role needs',
    '# (cli/nats-permissions.ts). Written by `fairsweep credentials`; it holds passwords: keep it secret.',
    '# Include it from the nats-server configuration: include "nats-auth.conf"',
    'authorization {',
    '  users = [',
    blocks.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** The environment file of one role: what `fairsweep coordinator` / `fairsweep worker` read for NATS. */
export function natsEnvFile(u: NatsUserCredentials): string {
  return [`# fairsweep NATS credentials of the ${u.role} role`, `FAIRSWEEP_NATS_USER=${u.user}`, `FAIRSWEEP_NATS_PASSWORD=${u.password}`, ''].join('\n');
}
