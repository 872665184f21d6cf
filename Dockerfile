# driftwatch's image: built in one stage (dev dependencies, TypeScript), run from another
# with the compiled JavaScript and production dependencies only, as an unprivileged user.
#   docker build -t driftwatch .
#   docker run --rm -e CLICKHOUSE_URL=http://clickhouse:8123 driftwatch serve --role api

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` rather than `npm ci`: see README.md, "Development" (the lock file lacks
# other platforms' optional packages). Scripts wait until the sources are in.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY schemas ./schemas
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DRIFTWATCH_HOST=0.0.0.0 \
    DRIFTWATCH_PORT=8080 \
    DRIFTWATCH_DATA_DIR=/var/lib/driftwatch
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin/driftwatch.js ./bin/driftwatch.js
COPY --from=build /app/schemas ./schemas
COPY monitors ./monitors
COPY baselines ./baselines
RUN mkdir -p /var/lib/driftwatch && chown node:node /var/lib/driftwatch
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/driftwatch.js"]
CMD ["serve"]
