# Multi-stage build of both binaries; the runtime image runs as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pitlane-server --bin pitlane-worker

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --create-home pitlane
COPY --from=build /src/target/release/pitlane-server /src/target/release/pitlane-worker /usr/local/bin/
USER pitlane
WORKDIR /app
ENV PITLANE_ADDR=0.0.0.0:8080 \
    PITLANE_WORKER_ADDR=0.0.0.0:8081 \
    PITLANE_LOG_FORMAT=json
EXPOSE 8080 8081
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["pitlane-server"]
CMD ["serve"]
