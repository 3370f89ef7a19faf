#!/usr/bin/env bash
# Builds the step images Sluice's tests and examples use, without any registry:
#   sluice/busybox:1  a busybox-static root (imports in about a second)
#   sluice/sklearn:1  a Debian minbase root with python3-sklearn: an environment only (a pipeline's
#                     code comes with it, mounted at /sluice/code)
#   sluice/node-base:20  Debian minbase + this machine's Node 20: the production image's local base
#   sluice/transfer:1 the kubernetes executor's store-transfer helper (images/transfer, static Go)
# Rebuilds only what is missing or stale (the sklearn tag carries the version of its recipe).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

if ! docker image inspect sluice/busybox:1 >/dev/null 2>&1; then
  say "building image sluice/busybox:1 from Debian's busybox-static"
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/tmp" "$root/sluice/inputs" "$root/sluice/outputs" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for cmd in $("$root/bin/busybox" --list); do [ "$cmd" = busybox ] || ln -s busybox "$root/bin/$cmd"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - sluice/busybox:1 >/dev/null
  rm -rf "$root"
fi

want_hash="env-1"
if [ "$(image_label sluice/sklearn:1 sluice.examples)" != "$want_hash" ]; then
  rootfs="$SLUICE_TOOLS_DIR/rootfs-sklearn"
  if [ ! -f "$rootfs/.sluice-complete" ]; then
    say "debootstrap: Debian bookworm minbase + python3-sklearn into $rootfs (about a minute)"
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include=python3-sklearn,python3-numpy,python3-pandas \
      bookworm "$rootfs" http://deb.debian.org/debian >"$SLUICE_SERVICES_DIR/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $SLUICE_SERVICES_DIR/debootstrap.log"
    rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
    touch "$rootfs/.sluice-complete"
  fi
  say "importing image sluice/sklearn:1 (about 20 s)"
  rm -rf "$rootfs/opt/sluice" && mkdir -p "$rootfs/sluice/code" "$rootfs/sluice/inputs" "$rootfs/sluice/outputs"
  tar -C "$rootfs" --exclude=./.sluice-complete -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV PYTHONDONTWRITEBYTECODE=1' -c "LABEL sluice.examples=$want_hash" \
    -c 'WORKDIR /sluice/code' - sluice/sklearn:1 >/dev/null
fi
# The base of the production image (Dockerfile, BASE build argument) when no registry serves
# node:20-bookworm-slim: a Debian minbase root with this machine's Node 20 and npm, and a `node` user.
node_version="$(node --version)"
if [ "$(image_label sluice/node-base:20 sluice.node)" != "$node_version" ]; then
  rootfs="$SLUICE_TOOLS_DIR/rootfs-node"
  if [ ! -f "$rootfs/.sluice-complete" ]; then
    say "debootstrap: Debian bookworm minbase into $rootfs (about a minute)"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian \
      >"$SLUICE_SERVICES_DIR/debootstrap-node.log" 2>&1 \
      || die "debootstrap failed; see $SLUICE_SERVICES_DIR/debootstrap-node.log"
    rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
    chroot "$rootfs" groupadd --gid 1000 node
    chroot "$rootfs" useradd --uid 1000 --gid node --create-home --shell /bin/sh node
    touch "$rootfs/.sluice-complete"
  fi
  say "importing image sluice/node-base:20 (Node $node_version from this machine)"
  install -m 0755 "$(command -v node)" "$rootfs/usr/local/bin/node"
  rm -rf "$rootfs/usr/local/lib/node_modules" && mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  tar -C "$rootfs" --exclude=./.sluice-complete -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL sluice.node=$node_version" -c 'CMD ["node"]' - sluice/node-base:20 >/dev/null
fi
# The kubernetes executor's transfer helper (SLUICE_K8S_TRANSFER=store): one static Go binary, no
# base at all. Rebuilt when its source changes (the label is a hash of it).
transfer_hash="$(cat "$here/../images/transfer/go.mod" "$here/../images/transfer/main.go" | sha256sum | cut -c1-16)"
if [ "$(image_label sluice/transfer:1 sluice.source)" != "$transfer_hash" ]; then
  command -v go >/dev/null 2>&1 || die "Go is needed to build sluice/transfer:1 (images/transfer)"
  say "building image sluice/transfer:1 (static Go, about 10 s)"
  root="$(mktemp -d)"
  mkdir -p "$root/bin"
  (cd "$here/../images/transfer" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$root/bin/sluice-transfer" .)
  tar -C "$root" -c . | docker import -c "LABEL sluice.source=$transfer_hash" \
    -c 'ENTRYPOINT ["/bin/sluice-transfer"]' - sluice/transfer:1 >/dev/null
  rm -rf "$root"
fi
say "images ready: sluice/busybox:1 sluice/sklearn:1 sluice/node-base:20 sluice/transfer:1"
