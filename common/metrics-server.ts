import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ListenError, listenErrorCode } from './listen-error.js';

export interface MetricsServer {
  port: number;
  /** GET /healthz answers 503 with what `check` returns while it returns a reason, 200 "ok" otherwise. */
  setHealthCheck(check: () => string | undefined): void;
  close(): Promise<void>;
}

/** Serves `registry` on GET /metrics (Prometheus text format) and GET /healthz; a failure to listen is a ListenError. */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  let healthCheck: () => string | undefined = () => undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics collection failed: ${String(err)}\n`);
        });
    } else if (req.method === 'GET' && path === '/healthz') {
      const unhealthy = healthCheck();
      res.writeHead(unhealthy === undefined ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(`${unhealthy ?? 'ok'}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ListenError(`${host.includes(':') ? `[${host}]` : host}:${port}`, 'metrics', listenErrorCode(err), { cause: err })));
    server.listen(port, host, () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    setHealthCheck: (check) => {
      healthCheck = check;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
