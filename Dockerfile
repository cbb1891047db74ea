# syntax=docker/dockerfile:1.7
# One build definition for every image of the project, one target each:
#   docker build --target backend   -t aiops-backend   .   # POST /predict (TensorFlow.js on libtensorflow)
#   docker build --target healer    -t aiops-healer    .   # heal loop, status API, `healer` CLI
#   docker build --target dashboard -t aiops-dashboard .   # static React app on unprivileged nginx
#   docker build --target simulator -t aiops-simulator .   # fake cluster for the compose demo only
# docker-compose.yml builds the same targets and CI (.github/workflows/ci.yml) builds each once per
# commit. What every Node image shares is written once: the workspace manifests, one compile of all
# Node workspaces, the OCI labels, NODE_ENV and the non-root user. Each runtime target copies the
# production dependencies (`npm ci --omit=dev`) of its own workspaces and its compiled JavaScript
# (the healer's service also bundled: see the build stage),
# owned by root and only readable by UID 1000: the image is immutable at run time and needs no
# writable path but /tmp (the manifests mount the root filesystem read-only).
ARG NODE_IMAGE=node:22.23.3-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27.4-alpine

# The workspace tree as `npm ci` sees it in development and CI: every workspace's manifest.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY model/package.json model/
COPY simulator/package.json simulator/
COPY backend/package.json backend/
COPY healer/package.json healer/
COPY dashboard/package.json dashboard/
COPY platform/package.json platform/

# One compile of the Node services. The whole dependency tree, exactly as in development: type
# packages hoisted from other workspaces (e.g. @types/express) are then present too.
FROM manifests AS build
RUN npm ci --ignore-scripts
COPY model/ model/
COPY simulator/ simulator/
COPY backend/ backend/
COPY healer/ healer/
RUN npx tsc -b backend healer simulator
# The healer's entry point bundled with esbuild (healer/scripts/bundle.mjs): @kubernetes/client-node
# tree-shaken to what the healer uses instead of every generated API and model, −39 MB RSS at rest
# (docs/scaling.md, "The bundled entry point"). The other packages stay external, from node_modules.
RUN npm run build:bundle -w healer

# Production dependencies only, per image: exactly the workspaces it runs.
FROM manifests AS deps-healer
RUN npm ci --omit=dev --ignore-scripts -w model -w healer && npm cache clean --force

FROM manifests AS deps-simulator
RUN npm ci --omit=dev --ignore-scripts -w model -w simulator && npm cache clean --force

# The backend also gets @tensorflow/tfjs-node: its install script downloads libtensorflow, and the
# build tools are only for its fallback source build when no prebuilt binding matches; never shipped.
FROM manifests AS deps-backend
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
RUN npm ci --omit=dev --ignore-scripts -w model -w backend \
  && npm install --omit=dev --no-save --foreground-scripts -w backend @tensorflow/tfjs-node@4.22.0 \
  && node -e "require('@tensorflow/tfjs-node')" \
  && npm cache clean --force

# What every Node runtime image shares.
FROM ${NODE_IMAGE} AS node-runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.source="https://github.com/example-org/aiops-autoheal" \
  org.opencontainers.image.licenses="MIT" \
  org.opencontainers.image.vendor="aiops-autoheal" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.created="${CREATED}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/model/package.json model/
COPY --from=build /app/model/dist model/dist

FROM node-runtime AS backend
# The model the backend serves, baked in. One place to change if the artifact layout moves
# (e.g. model/artifacts/<version>/): the source directory and where MODEL_DIR points.
ARG MODEL_ARTIFACTS=model/artifacts
LABEL org.opencontainers.image.title="aiops-backend" \
  org.opencontainers.image.description="aiops-autoheal risk prediction service (POST /predict)"
ENV PORT=5000 MODEL_DIR=/app/model/artifacts
COPY --from=deps-backend /app/package.json ./
COPY --from=deps-backend /app/node_modules ./node_modules
COPY ${MODEL_ARTIFACTS} model/artifacts
COPY --from=build /app/backend/package.json backend/
COPY --from=build /app/backend/dist backend/dist
USER 1000:1000
EXPOSE 5000
CMD ["node", "backend/dist/src/main.js"]

FROM node-runtime AS healer
LABEL org.opencontainers.image.title="aiops-healer" \
  org.opencontainers.image.description="aiops-autoheal healer: scores watched deployments and heals them step by step"
ENV PORT=8081
COPY --from=deps-healer /app/package.json ./
COPY --from=deps-healer /app/node_modules ./node_modules
COPY --from=build /app/healer/package.json healer/
COPY --from=build /app/healer/dist healer/dist
COPY --from=build /app/healer/dist-bundle healer/dist-bundle
# The CLI on PATH (`kubectl exec deploy/aiops-healer -- healer check`), written at build time: the
# root filesystem is read-only at run time. Short-lived, so not bundled: dist/ as in development.
RUN printf '#!/bin/sh\nexec node /app/healer/dist/src/cli.js "$@"\n' > /usr/local/bin/healer \
  && chmod 0755 /usr/local/bin/healer
USER 1000:1000
EXPOSE 8081
# The bundle: its externals (express, pino, the lazily imported Slack clients, ...) resolve from
# /app/node_modules, so it must stay under /app.
CMD ["node", "healer/dist-bundle/main.mjs"]

FROM node-runtime AS simulator
LABEL org.opencontainers.image.title="aiops-simulator" \
  org.opencontainers.image.description="aiops-autoheal fake cluster for demos and tests"
ENV PORT=8001
COPY --from=deps-simulator /app/package.json ./
COPY --from=deps-simulator /app/node_modules ./node_modules
COPY --from=build /app/simulator/package.json simulator/
COPY --from=build /app/simulator/dist simulator/dist
USER 1000:1000
EXPOSE 8001
CMD ["node", "simulator/dist/src/main.js"]

# The dashboard bundle: it imports the feature schema from model/src and the status types from
# healer/src/api. Source maps stay out of the served files (they would publish the source).
FROM manifests AS dashboard-build
RUN npm ci --ignore-scripts -w dashboard
COPY model/src model/src
COPY healer/src/api healer/src/api
COPY dashboard/ dashboard/
RUN npm run build -w dashboard && find dashboard/dist -name '*.map' -delete

# Unprivileged nginx (UID 101, port 8080), which also proxies /api to the healer and /predict,
# /model to the backend.
FROM ${NGINX_IMAGE} AS dashboard
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="aiops-dashboard" \
  org.opencontainers.image.description="aiops-autoheal dashboard (static files on unprivileged nginx)" \
  org.opencontainers.image.source="https://github.com/example-org/aiops-autoheal" \
  org.opencontainers.image.licenses="MIT" \
  org.opencontainers.image.vendor="aiops-autoheal" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.created="${CREATED}"
COPY dashboard/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=dashboard-build /app/dashboard/dist /usr/share/nginx/html
USER 101:101
EXPOSE 8080
