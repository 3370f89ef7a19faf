# Shared settings of the local Kubernetes cluster scripts (k8s-build, k8s-up, k8s-images, k8s-down).
# Sourced after lib.sh, not run.
K8S_VERSION=v1.34.2
K8S_STAGING_VERSION=v0.34.2
# Binaries are built once per version and shared by every clone (tools dir); cluster state is per machine.
K8S_BIN="$SLUICE_TOOLS_DIR/k8s/$K8S_VERSION/bin"
K8S_STATE="${SLUICE_K8S_DIR:-$SLUICE_SERVICES_DIR/k8s}"
K8S_API="https://127.0.0.1:6443"
K8S_NAMESPACE="${SLUICE_K8S_NAMESPACE:-sluice-steps}"
K8S_ADMIN_KUBECONFIG="$K8S_STATE/conf/admin.kubeconfig"
# What the tests and a local worker use: the sluice-worker ServiceAccount (deploy/k8s/worker-rbac.yaml).
K8S_WORKER_KUBECONFIG="$K8S_STATE/conf/sluice-worker.kubeconfig"
K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
K8S_CTR=(ctr -a "$K8S_STATE/containerd/containerd.sock" -n k8s.io)

k8s_admin_curl() { curl -sf --cacert "$K8S_STATE/pki/ca.crt" -H "Authorization: Bearer $(cat "$K8S_STATE/conf/admin.token")" "$@"; }

k8s_built() {
  local b
  for b in "${K8S_BINARIES[@]}"; do [ -x "$K8S_BIN/$b" ] || return 1; done
}

# The node is Ready and the worker's kubeconfig was written: nothing to start.
k8s_up() {
  [ -f "$K8S_WORKER_KUBECONFIG" ] && [ -f "$K8S_STATE/conf/admin.token" ] || return 1
  k8s_admin_curl "$K8S_API/readyz" >/dev/null 2>&1 || return 1
  k8s_admin_curl "$K8S_API/api/v1/nodes" 2>/dev/null | python3 -c '
import json, sys
nodes = json.load(sys.stdin)["items"]
ready = [n for n in nodes for c in n["status"].get("conditions", []) if c["type"] == "Ready" and c["status"] == "True"]
sys.exit(0 if ready else 1)'
}
