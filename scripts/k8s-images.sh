#!/usr/bin/env bash
# Imports images from the local Docker engine into the cluster's containerd (namespace k8s.io), so
# pods find them without a registry (imagePullPolicy IfNotPresent or Never). Only what is missing or
# changed since its last import. SLUICE_K8S_IMAGES: space-separated Docker images (default: the
# busybox image the executor tests use and the transfer helper; add sluice/sklearn:1 for the
# examples, 1.2 GB).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/k8s-lib.sh"

# The pod sandbox ("pause") image: busybox-static sleeping forever, made here instead of pulled.
if ! docker image inspect sluice/k8s-pause:1 >/dev/null 2>&1; then
  root="$(mktemp -d)"
  mkdir -p "$root/bin" && cp /bin/busybox "$root/bin/busybox"
  tar -C "$root" -c . | docker import -c 'ENTRYPOINT ["/bin/busybox", "sleep", "2147483647"]' - sluice/k8s-pause:1 >/dev/null
  rm -rf "$root"
fi

mkdir -p "$K8S_STATE/images"
for image in sluice/k8s-pause:1 ${SLUICE_K8S_IMAGES:-sluice/busybox:1 sluice/transfer:1}; do
  id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null) || die "image $image is not on the local Docker engine (scripts/build-images.sh builds it)"
  marker="$K8S_STATE/images/$(echo "$image" | tr '/:' '__').id"
  ref="docker.io/$image"
  if [ "$(cat "$marker" 2>/dev/null)" = "$id" ] && [ -n "$("${K8S_CTR[@]}" images ls -q "name==$ref")" ]; then continue; fi
  say "importing $image into the cluster's containerd"
  docker save "$image" | "${K8S_CTR[@]}" images import - >/dev/null
  echo "$id" >"$marker"
done
