# One image recipe for every OncePay service: `docker build --build-arg APP=transfer-service .`
# Stages: prune the monorepo to what APP needs, build it, then copy only production dependencies and
# the compiled output into a small image that runs as a non-root user under tini.
# The `migrator` stage (dev dependencies + scripts) applies one service's migrations before it starts.

ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /repo

# The workspace subset APP depends on (turbo prune), as package manifests first for layer caching.
FROM base AS pruner
ARG APP
COPY . .
RUN npx --yes turbo@2.11.11 prune "@oncepay/${APP}" --docker

FROM base AS builder
ARG APP
COPY --from=pruner /repo/out/json/ ./
# Install scripts stay off: the only one needed (Prisma client generation) runs below, explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY --from=pruner /repo/out/full/ ./
COPY tsconfig.base.json turbo.json ./
COPY prisma ./prisma
COPY scripts ./scripts
RUN npx tsx scripts/db/generate.ts && npx turbo run build --filter="@oncepay/${APP}"

# Applies a service's migrations: `node` + tsx + Prisma's WebAssembly schema engine, no network needed.
FROM builder AS migrator
USER node
ENTRYPOINT ["/usr/bin/tini", "--", "npx", "tsx", "scripts/db/migrate.ts"]

FROM base AS runner
ARG APP
# The same Node flags as SERVICE_NODE_FLAGS in scripts/infra/services.ts (test/compose-env.spec.ts checks).
ENV NODE_ENV=production APP=${APP} NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8"
COPY --from=pruner /repo/out/json/ ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=builder /repo/packages ./packages
COPY --from=builder /repo/apps/${APP}/dist ./apps/${APP}/dist
USER node
EXPOSE 3000
# tini is PID 1: it forwards SIGTERM to node (which drains consumers and the outbox relay) and reaps zombies.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "exec node apps/${APP}/dist/main.js"]
