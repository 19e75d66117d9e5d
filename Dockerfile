# flipdns on Node 24. Build: docker build -t flipdns .
# Run:   docker run -p 5300:5300/udp -p 5300:5300 -p 8053:8053 -v $PWD/zones:/app/zones flipdns
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    FLIPDNS_HOST=0.0.0.0 \
    FLIPDNS_HTTP_HOST=0.0.0.0
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY zones ./zones
# The generated admin token goes here unless FLIPDNS_ADMIN_TOKEN is set.
RUN mkdir -p /app/.flipdns && chown node /app/.flipdns
USER node
EXPOSE 5300/udp 5300/tcp 8053/tcp
ENTRYPOINT ["node", "bin/flipdns"]
CMD ["serve"]
