#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubelet from the Go module
# proxy into the tools directory, once per version (cold: about 10 min on 2 cores and a 3 GB Go
# build cache; afterwards nothing). `go install` refuses k8s.io/kubernetes (its go.mod replaces the
# staging modules with local paths), so a wrapper module requires it and replaces each staging
# module with the published version of the same release.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/k8s-lib.sh"

k8s_built && exit 0
command -v go >/dev/null 2>&1 || die "building Kubernetes needs Go (https://go.dev/dl/)"
say "building Kubernetes $K8S_VERSION binaries into $K8S_BIN (first time only: about 10 min on 2 cores)"
build="$SLUICE_TOOLS_DIR/k8s/$K8S_VERSION/build"
mkdir -p "$build" "$K8S_BIN.partial"
cd "$build"
go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
kdir="$(go env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION"
{
  printf 'module sluice.local/k8s-build\n\ngo 1.24.0\n\ngodebug default=go1.24\n\n'
  printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
  awk -v sv="$K8S_STAGING_VERSION" '/^replace \(/{f=1;next} f&&/^\)/{f=0} f&&/=> \.\/staging/{print "\t"$1" => "$1" "sv}' "$kdir/go.mod"
  printf ')\n'
} > go.mod
cat > tools.go <<'EOT'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
EOT
go mod tidy >&2
v=k8s.io/component-base/version
ld="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=34 -X $v.gitTreeState=clean -X $v.buildDate=2025-11-11T00:00:00Z"
ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=34"
started=$(date +%s)
GOFLAGS="-p=2 -buildvcs=false" CGO_ENABLED=0 go build -trimpath -ldflags="$ld" -o "$K8S_BIN.partial/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet >&2
# Only a complete set counts as built: an interrupted build starts over instead of leaving half.
rm -rf "$K8S_BIN" && mv "$K8S_BIN.partial" "$K8S_BIN"
say "Kubernetes binaries built in $(($(date +%s) - started)) s"
