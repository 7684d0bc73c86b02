# The image the Helm chart runs (`sluice run`). Built where a container engine exists:
#   docker build -t ghcr.io/sluice-dev/sluice:0.1.0 .
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY test/mesh-sim ./test/mesh-sim
COPY demo ./demo
COPY bench ./bench
RUN npm install --no-audit --no-fund --ignore-scripts && npm run build && npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
USER node
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["run"]
