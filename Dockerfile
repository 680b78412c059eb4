# DeepScaler adapter image: compiled JavaScript + production dependencies on Node 24 LTS (bookworm
# slim), run as a non-root user. Build:  docker build -t deepscaler-adapter:0.1.0 .
# Without the native TensorFlow backend (smaller, pure wasm/cpu backends):
#   docker build --build-arg WITH_TFJS_NODE=false -t deepscaler-adapter:0.1.0-wasm .
# Without a registry (how CI builds it): a local base from test/image/base.sh, then
#   buildah bud --isolation chroot --pull=never --build-arg NODE_IMAGE=$(bash test/image/base.sh) .
# No `# syntax=` line: it makes BuildKit fetch a frontend image, which fails offline.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: TypeScript → dist/ (dev dependencies live only in this stage) -----------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Optional native deps are not needed to compile; skipping scripts keeps tfjs-node from downloading
# libtensorflow here.
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.src.json ./
COPY src ./src
RUN npm run build:src

# --- deps: production node_modules only ------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
ARG WITH_TFJS_NODE=true
WORKDIR /app
COPY package.json package-lock.json ./
# @tensorflow/tfjs-node is an optionalDependency: its install script fetches a prebuilt
# libtensorflow; where that is impossible npm skips it and the adapter uses the wasm/cpu backends.
RUN if [ "$WITH_TFJS_NODE" = "true" ]; then \
      npm ci --omit=dev --no-audit --no-fund; \
    else \
      npm ci --omit=dev --omit=optional --no-audit --no-fund; \
    fi \
 && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# Self-made certificates go to the writable /tmp (the root filesystem is read-only in the manifests).
ENV DEEPSCALER_CERT_DIR=/tmp/deepscaler/certs
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY proto ./proto
COPY models ./models
COPY data ./data
# uid/gid 1000 is the image's `node` user; numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# 6443: HTTPS (external metrics API, health, /metrics); 9443: gRPC (KEDA external scaler).
# The read-only root filesystem in the manifests needs a writable /tmp: they mount an emptyDir there.
EXPOSE 6443 9443
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
