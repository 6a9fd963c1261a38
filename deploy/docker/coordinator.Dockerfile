# syntax=docker/dockerfile:1
# fairsweep coordinator: gRPC API (50051) and Prometheus /metrics (9464).
# Build from the repository root:
#   docker build -f deploy/docker/coordinator.Dockerfile -t fairsweep-coordinator .

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts run: buf's package installs its binary from the npm registry's own platform package.
RUN npm ci --no-audit --no-fund
COPY buf.yaml buf.gen.yaml tsconfig.json ./
COPY proto ./proto
COPY common ./common
COPY catalog ./catalog
COPY coordinator ./coordinator
COPY worker ./worker
COPY cli ./cli
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production \
    FAIRSWEEP_LOG_LEVEL=info
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY examples ./examples
RUN chmod +x dist/cli/main.js && ln -s /app/dist/cli/main.js /usr/local/bin/fairsweep
USER node
EXPOSE 50051 9464
# Healthy once /metrics answers (the gRPC health service is probed by Kubernetes natively).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["fairsweep"]
# gRPC with mutual TLS by default: mount ca.crt, tls.crt and tls.key at /etc/fairsweep/tls
# (`fairsweep credentials`); NATS credentials come from FAIRSWEEP_NATS_USER / FAIRSWEEP_NATS_PASSWORD.
CMD ["coordinator", "--nats", "nats://nats:4222", "--grpc", "0.0.0.0:50051", "--metrics", "0.0.0.0:9464", "--tls-cert", "/etc/fairsweep/tls/tls.crt", "--tls-key", "/etc/fairsweep/tls/tls.key", "--tls-client-ca", "/etc/fairsweep/tls/ca.crt"]
