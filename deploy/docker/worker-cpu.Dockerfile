# syntax=docker/dockerfile:1
# fairsweep CPU worker: gRPC Describe/Drain (50061) and Prometheus /metrics (9465).
# Trains with @tensorflow/tfjs-node (libtensorflow for CPU, installed at image build); build with
# --build-arg TFJS_NODE=none to keep the WebAssembly backend only (no download at build).
#   docker build -f deploy/docker/worker-cpu.Dockerfile -t fairsweep-worker-cpu .

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY buf.yaml buf.gen.yaml tsconfig.json ./
COPY proto ./proto
COPY common ./common
COPY catalog ./catalog
COPY coordinator ./coordinator
COPY worker ./worker
COPY cli ./cli
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim AS runtime-deps
ARG TFJS_NODE=4.22.0
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
# node-gyp's tools are only a fallback for when no prebuilt addon matches; removed with this stage.
RUN if [ "$TFJS_NODE" != "none" ]; then \
      apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates && \
      npm install --no-save --omit=dev --no-audit --no-fund "@tensorflow/tfjs-node@${TFJS_NODE}" && \
      rm -rf /var/lib/apt/lists/*; \
    fi

FROM node:20-slim
ENV NODE_ENV=production \
    FAIRSWEEP_LOG_LEVEL=info
WORKDIR /app
COPY --from=runtime-deps /app/package.json ./package.json
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN chmod +x dist/cli/main.js && ln -s /app/dist/cli/main.js /usr/local/bin/fairsweep
USER node
EXPOSE 50061 9465
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9465/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains: running shards finish (or are handed back after --drain-timeout).
STOPSIGNAL SIGTERM
ENTRYPOINT ["fairsweep"]
# gRPC with mutual TLS by default: mount ca.crt, tls.crt and tls.key at /etc/fairsweep/tls
# (`fairsweep credentials`); NATS credentials come from FAIRSWEEP_NATS_USER / FAIRSWEEP_NATS_PASSWORD.
CMD ["worker", "--nats", "nats://nats:4222", "--slots", "1", "--grpc", "0.0.0.0:50061", "--metrics", "0.0.0.0:9465", "--tls-cert", "/etc/fairsweep/tls/tls.crt", "--tls-key", "/etc/fairsweep/tls/tls.key", "--tls-client-ca", "/etc/fairsweep/tls/ca.crt"]
