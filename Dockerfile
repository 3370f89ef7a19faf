# The Sluice production image: one image, the command picks the role (api | worker | migrate | health).
#   docker build -t sluice .                                   # on node:20-bookworm-slim
#   docker build --build-arg BASE=sluice/node-base:20 -t sluice .   # on a locally built base (no registry)
# Written for the classic builder as well as BuildKit (no RUN --mount), so it builds on any engine.
ARG BASE=node:20-bookworm-slim

# --- build: all dependencies, TypeScript compiled to JavaScript, then the dev dependencies pruned ---
FROM ${BASE} AS build
WORKDIR /src
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# An npm cache in the context (.build-cache/npm) makes the install offline: the tests build with
# --network none. Without one, npm fetches from the registry as usual. (package.json is listed first
# so the COPY has a source when the cache is absent.)
COPY package.json .build-cach[e] /tmp/build-cache/
COPY package.json package-lock.json ./
RUN if [ -d /tmp/build-cache/npm ]; then set -- --offline --cache /tmp/build-cache/npm; fi; \
    npm ci --no-audit --no-fund --loglevel=error "$@" && rm -rf /tmp/build-cache
COPY tsconfig.json tsconfig.build.json ./
COPY core core
COPY workflows workflows
COPY activities activities
COPY api api
COPY workers workers
COPY cli cli
RUN node_modules/.bin/tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund --loglevel=error

# --- runtime: compiled JavaScript, production dependencies, a non-root user ---
FROM ${BASE}
WORKDIR /app
ENV NODE_ENV=production SLUICE_HOST=0.0.0.0 SLUICE_PORT=8001 SLUICE_DATA_DIR=/var/lib/sluice
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist ./
COPY package.json ./
COPY examples examples
RUN mkdir -p /var/lib/sluice && chown node:node /var/lib/sluice
USER node
EXPOSE 8001
# SLUICE_ROLE=worker makes the same check ask Temporal for this container's poller instead of /readyz.
HEALTHCHECK --interval=10s --timeout=6s --start-period=60s --retries=3 CMD ["node", "workers/image-main.js", "health"]
ENTRYPOINT ["node", "workers/image-main.js"]
CMD ["api"]
