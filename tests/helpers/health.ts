import { Client, credentials } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const STATUS_NAMES: Record<number, string> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

/** The grpc.health.v1 status of `service` ('' for the server as a whole) at `address`: SERVING, NOT_SERVING... */
export async function healthStatus(address: string, service = ''): Promise<string> {
  const check = healthService.Check;
  if (!check) throw new Error('grpc-health-check defines no Check method');
  const client = new Client(address, credentials.createInsecure());
  try {
    const status = await new Promise<unknown>((resolve, reject) =>
      client.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service }, { deadline: Date.now() + 5_000 }, (err, res: { status?: unknown } | undefined) =>
        err ? reject(err) : resolve(res?.status),
      ),
    );
    return typeof status === 'number' ? (STATUS_NAMES[status] ?? String(status)) : String(status);
  } finally {
    client.close();
  }
}
