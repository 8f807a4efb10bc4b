# OncePay's images, from one recipe:
#   --target runner --build-arg APP=transfer-service   an app (a service, the auditor or the console):
#                                                      production dependencies and its build only
#   --target tools                                     migrations and demo seeding (compose's one-shot steps)
# The stages before `runner` do not read APP, so every app and the tools share one workspace build and
# one production install in the build cache.

# node:24 is the current LTS line (Node 20 reached its end of life in April 2026). The runner starts from
# the Debian image the Node image is itself built on (the same base layer, nothing more to pull) and takes
# only the node binary: npm, yarn and the C headers stay behind.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

# Every workspace's package.json and the lockfile, alone: `npm ci` below re-runs only when they change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /repo
COPY . .
RUN find . -type f ! -name package.json ! -path ./package-lock.json -delete \
 && find . -type d -empty -delete

# The whole workspace, built with its dev dependencies.
FROM ${NODE_IMAGE} AS workspace
WORKDIR /repo
COPY --from=manifests /repo ./
# Install scripts stay off: the only one needed (Prisma client generation) runs below, explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsx scripts/db/generate.ts && npx turbo run build --output-logs=errors-only

# Production dependencies of the workspace (the three services share them), trimmed of what Node never
# loads at run time: Prisma's query compilers for other databases (OncePay loads the PostgreSQL one; see
# apps/*/src/generated/prisma/internal/class.ts), source maps, type declarations and Markdown.
# `--omit=optional` also drops the Prisma CLI, which the lockfile holds as an optional peer of @prisma/client.
FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /repo
COPY --from=manifests /repo ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && find node_modules/@prisma/client/runtime -name 'query_compiler_*' \
      ! -name 'query_compiler_fast_bg.postgresql.js' ! -name 'query_compiler_fast_bg.postgresql.wasm-base64.js' -delete \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' \) -delete \
 && npm cache clean --force

# Migrations (Prisma's WebAssembly schema engine, no download) and the demo seed, run with tsx.
FROM workspace AS tools
USER node
ENTRYPOINT ["/repo/node_modules/.bin/tsx"]
CMD ["scripts/db/migrate.ts"]

FROM ${NODE_IMAGE} AS node
FROM ${DEBIAN_IMAGE} AS runner
ARG APP
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# The same Node flags as SERVICE_NODE_FLAGS in scripts/infra/services.ts (test/compose-env.spec.ts checks).
ENV NODE_ENV=production APP=${APP} NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8"
WORKDIR /repo
COPY --from=production-dependencies /repo ./
COPY --from=workspace /repo/packages ./packages
COPY --from=workspace /repo/apps/${APP}/dist ./apps/${APP}/dist
USER node
EXPOSE 3000
# tini is PID 1: it forwards SIGTERM to node (which drains consumers and the outbox relay) and reaps zombies.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "exec node apps/${APP}/dist/main.js"]
