# syntax=docker/dockerfile:1
# fairsweep GPU worker: one worker per GPU, training on the webgpu backend (tfjs's WebGPU kernels on
# Dawn, the `webgpu` npm package, whose dawn.node ships inside the package: nothing is downloaded,
# no CUDA image is needed). Dawn drives the GPU through Vulkan: the image has the Vulkan loader
# (libvulkan1), and the NVIDIA container toolkit mounts the driver's Vulkan ICD when the container
# asks for the `graphics` capability (with compute,utility alone Dawn finds no adapter).
#   docker build -f deploy/docker/worker-gpu.Dockerfile -t fairsweep-worker-gpu .
# The alternative on CUDA 11 with @tensorflow/tfjs-node-gpu: worker-gpu-cuda11.Dockerfile.

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

FROM node:20-slim
ENV NODE_ENV=production \
    FAIRSWEEP_LOG_LEVEL=info \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
RUN apt-get update && \
    apt-get install -y --no-install-recommends libvulkan1 && \
    rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN chmod +x dist/cli/main.js && ln -s /app/dist/cli/main.js /usr/local/bin/fairsweep
USER node
EXPOSE 50061 9465
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9465/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["fairsweep"]
# Each container sees the one GPU it was given (NVIDIA_VISIBLE_DEVICES / the device plugin) as its
# only adapter: --gpu 0. Without an adapter the worker says what is missing and falls back to the CPU.
# gRPC with mutual TLS by default: mount ca.crt, tls.crt and tls.key at /etc/fairsweep/tls
# (`fairsweep credentials`); NATS credentials come from FAIRSWEEP_NATS_USER / FAIRSWEEP_NATS_PASSWORD.
CMD ["worker", "--nats", "nats://nats:4222", "--gpu", "0", "--slots", "1", "--grpc", "0.0.0.0:50061", "--metrics", "0.0.0.0:9465", "--tls-cert", "/etc/fairsweep/tls/tls.crt", "--tls-key", "/etc/fairsweep/tls/tls.key", "--tls-client-ca", "/etc/fairsweep/tls/ca.crt"]
