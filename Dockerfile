# flipdns on Node 24. Build: docker build -t flipdns .
# Run:   docker run -p 5300:5300/udp -p 5300:5300 -p 127.0.0.1:8053:8053 -v $PWD/zones:/app/zones flipdns
# With no configuration the image serves the example zones without their pools
# file (its node tokens are printed in the README), and the admin API takes only
# the token generated at start: `docker exec CONTAINER cat /app/.flipdns/admin-token`.
# Before exposing 8053 beyond the host, read docs/security.md.
FROM node:24-bookworm-slim AS build
# The native UDP module (native/) is compiled at `npm ci` by the node-gyp bundled
# with npm, against the headers the image keeps in /usr/local/include/node.
RUN apt-get update && apt-get install -y --no-install-recommends g++ make python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY native ./native
COPY src ./src
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev
# A build that fell back to dgram would go unnoticed in an image: fail it instead.
RUN node -e "require('./native/build/Release/flipdns_udp.node')"

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    FLIPDNS_HOST=0.0.0.0 \
    FLIPDNS_HTTP_HOST=0.0.0.0
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/build/Release/flipdns_udp.node ./native/build/Release/flipdns_udp.node
COPY package.json ./
COPY bin ./bin
COPY zones ./zones
# The example pools file declares nodes whose tokens anyone can read in the README.
RUN rm -f zones/*.pools.json
# The generated admin token goes here unless FLIPDNS_ADMIN_TOKEN is set.
RUN mkdir -p /app/.flipdns && chown node /app/.flipdns
USER node
EXPOSE 5300/udp 5300/tcp 8053/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8053/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/flipdns"]
CMD ["serve"]
