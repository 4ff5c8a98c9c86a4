# syntax=docker/dockerfile:1
#
# The shop's image: the compiled server (dist/), its views and files, and only its production
# dependencies, run as an unprivileged user. It needs MONGODB_URI and SESSION_SECRET (see
# docs/operations.md); compose.yaml runs two of them behind nginx with MongoDB.
#
#   docker build -t session-shop .
#   docker run -e MONGODB_URI=... -e SESSION_SECRET=... -e TRUST_PROXY=1 -p 3000:3000 session-shop
#
# `npm run image` builds it with podman where no registry can be reached (CI among them), and
# `npm run image -- --check` runs it and checks its HEALTHCHECK, a page and its stop on SIGTERM.

# Build: every dependency, TypeScript compiled to dist/.
FROM node:20-bookworm-slim AS build
# Set when the build cannot reach the registry: a folder (mounted at build time) holding an npm cache
# with every package of the lockfile, which npm then installs from alone (see `npm run image`).
ARG NPM_OFFLINE_CACHE=
WORKDIR /app
COPY . .
# The workspace's prepare script builds the embedded engine, whose types the shop's build reads.
RUN npm ci --no-audit --no-fund ${NPM_OFFLINE_CACHE:+--offline --cache "$NPM_OFFLINE_CACHE"} && npm run build

# Runtime: production dependencies only, from the lockfile. The embedded engine is a development
# dependency: not installed here, and never loaded (production requires MONGODB_URI).
FROM node:20-bookworm-slim AS runtime
ARG NPM_OFFLINE_CACHE=
ENV NODE_ENV=production
# glibc's malloc (Debian's) keeps what photo decoding frees in per-thread arenas: a burst of large
# uploads left a process holding ~1 GB. Allocations of 128 KiB and more get mappings of their own,
# returned when freed (docs/operations.md, "Photo uploads and memory"; tools/stack.ts sets the same).
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund ${NPM_OFFLINE_CACHE:+--offline --cache "$NPM_OFFLINE_CACHE"} \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY public ./public
# Files stay root's: the shop cannot change its own code. It writes nothing to disk in production.
USER node
ENV PORT=3000
EXPOSE 3000
# Liveness: /healthz answers while the process serves HTTP (no database, no log line). The slim
# image has no curl, so node asks.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: `docker stop` lets requests in flight finish, then it
# exits within SHUTDOWN_TIMEOUT_MS (10 s by default; give docker stop more, as compose.yaml does).
CMD ["node", "dist/server.js"]
