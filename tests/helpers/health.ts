import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

interface HealthClient {
  check(req: { service: string }, opts: { deadline: number }, cb: (e: ServiceError | null, r: { status: unknown }) => void): void;
  close(): void;
}

const STATUS_NAMES: Record<number, string> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

/** The grpc.health.v1 status of `service` ('' for the server as a whole) at `address`: SERVING, NOT_SERVING... */
export async function healthStatus(address: string, service = ''): Promise<string> {
  const Health = makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(address, credentials.createInsecure()) as unknown as HealthClient;
  try {
    const r = await new Promise<{ status: unknown }>((resolve, reject) => client.check({ service }, { deadline: Date.now() + 5_000 }, (e, res) => (e ? reject(e) : resolve(res))));
    return typeof r.status === 'number' ? (STATUS_NAMES[r.status] ?? String(r.status)) : String(r.status);
  } finally {
    client.close();
  }
}
