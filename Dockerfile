# The Sluice image for the split deployment (docker-compose.yml): the same code runs the API
# (api/main.ts) or a worker (workers/worker-main.ts).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
ENV SLUICE_HOST=0.0.0.0 SLUICE_DATA_DIR=/var/lib/sluice
EXPOSE 8001
CMD ["node", "--import", "tsx", "api/main.ts"]
