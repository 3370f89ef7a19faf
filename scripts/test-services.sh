#!/usr/bin/env bash
# Makes sure every real service the test suite talks to is installed and running on this
# machine: PostgreSQL, the Docker engine (+ locally built test images), MinIO, the
# Temporal CLI, the schemathesis fuzzer and a single-node Kubernetes cluster (scripts/k8s-up.sh;
# its binaries are built once, about 10 min on 2 cores). Idempotent: installs only what is missing,
# starts only what is down.
# Never asks a person anything. Everything listens on 127.0.0.1 only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

need_root
ensure_apt_packages postgresql docker.io busybox-static debootstrap
ensure_temporal_cli >/dev/null
ensure_schemathesis
ensure_minio
ensure_postgres
ensure_dockerd
ensure_minio_running
"$here/build-images.sh"
"$here/k8s-up.sh"
say "all test services are up"
