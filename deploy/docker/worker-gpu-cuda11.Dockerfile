# syntax=docker/dockerfile:1
# fairsweep GPU worker, the alternative to worker-gpu.Dockerfile (webgpu): one worker per GPU,
# training with @tensorflow/tfjs-node-gpu 4.22 (FAIRSWEEP_BACKEND=tensorflow-gpu forces it).
# tfjs-node-gpu 4.22 loads libtensorflow 2.9 built for CUDA 11 and cuDNN 8: the runtime image is
# CUDA 11.8 with cuDNN 8 (8.6+), and the host needs an NVIDIA driver >= 520 with the NVIDIA
# container toolkit (docker --gpus / the Kubernetes device plugin).
#   docker build -f deploy/docker/worker-gpu-cuda11.Dockerfile -t fairsweep-worker-gpu-cuda11 .
# Its install downloads libtensorflow, and CUDA 11 predates Hopper: prefer worker-gpu.Dockerfile.

ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

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

# Node.js 20 itself, taken from the official image (its binary needs glibc >= 2.28; Ubuntu 22.04 has 2.35).
FROM node:20-slim AS node

FROM ${CUDA_IMAGE}
ARG TFJS_NODE_GPU=4.22.0
ENV NODE_ENV=production \
    FAIRSWEEP_LOG_LEVEL=info \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    TF_FORCE_GPU_ALLOW_GROWTH=true
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && \
    groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Installs the GPU build of libtensorflow with the addon; the compilers (a fallback for node-gyp
# when no prebuilt addon matches) are removed in the same layer.
RUN apt-get update && \
    apt-get install -y --no-install-recommends ca-certificates python3 make g++ && \
    npm install --no-save --omit=dev --no-audit --no-fund "@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU}" && \
    apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* /root/.npm && \
    chmod +x dist/cli/main.js && ln -s /app/dist/cli/main.js /usr/local/bin/fairsweep
USER node
EXPOSE 50061 9465
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9465/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["fairsweep"]
# Each container sees the one GPU it was given as index 0.
# gRPC with mutual TLS by default: mount ca.crt, tls.crt and tls.key at /etc/fairsweep/tls
# (`fairsweep credentials`); NATS credentials come from FAIRSWEEP_NATS_USER / FAIRSWEEP_NATS_PASSWORD.
CMD ["worker", "--nats", "nats://nats:4222", "--gpu", "0", "--slots", "1", "--grpc", "0.0.0.0:50061", "--metrics", "0.0.0.0:9465", "--tls-cert", "/etc/fairsweep/tls/tls.crt", "--tls-key", "/etc/fairsweep/tls/tls.key", "--tls-client-ca", "/etc/fairsweep/tls/ca.crt"]
