#!/usr/bin/env bash
# Starts a single-node Kubernetes cluster for the tests, without any registry, when it is not up
# already (idempotent): etcd, kube-apiserver (RBAC on), controller-manager, scheduler and a kubelet
# on a containerd instance of its own (own root, state and socket; dockerd's is left alone),
# bridge CNI, cgroupfs. Everything listens on 127.0.0.1. Then: the step images imported from the
# local Docker engine, deploy/k8s/worker-rbac.yaml applied, and a kubeconfig for the sluice-worker
# ServiceAccount written to $K8S_STATE/conf/sluice-worker.kubeconfig. Needs root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/k8s-lib.sh"
need_root

if k8s_up; then
  "$here/k8s-images.sh"
  # A changed Role takes effect without a restart.
  node "$here/k8s-apply.mjs" "$K8S_ADMIN_KUBECONFIG" "$here/../deploy/k8s/worker-rbac.yaml" >/dev/null
  exit 0
fi
ensure_apt_packages etcd-server containerd runc containernetworking-plugins busybox-static openssl
"$here/k8s-build.sh"
"$here/k8s-down.sh" >/dev/null 2>&1 || true
started=$(date +%s)
say "starting Kubernetes $K8S_VERSION (state in $K8S_STATE)"

T="$K8S_STATE"
# The node's address (kubelet needs one that is not loopback); the kubelet still binds 127.0.0.1,
# and the apiserver reaches it by the node's name, "localhost".
NODE_IP=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for(i=1;i<NF;i++) if($i=="src") print $(i+1)}')
[ -n "$NODE_IP" ] || NODE_IP=$(hostname -I 2>/dev/null | awk '{print $1}')
[ -n "$NODE_IP" ] || die "no non-loopback IPv4 address for the kubelet's node IP"
NODE=localhost
# etcd starts empty each time: the cluster is a test fixture, no Job outlives it.
rm -rf "$T/etcd-data" "$T/logs"
mkdir -p "$T"/{logs,pki,conf,etcd-data,containerd/root,containerd/state,cni/net.d,cni/ipam} \
  "$T"/kubelet/{root,pki,manifests,pod-logs} "$T/apiserver-certs"

start() { # start NAME COMMAND...: a daemon of its own session, its pid in logs/NAME.pid
  local name=$1; shift
  setsid "$@" >"$T/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$T/logs/$name.pid"
}

# PKI: the CA and the service-account key survive restarts; the serving cert is remade.
(
  cd "$T/pki"
  [ -f ca.key ] || { openssl genrsa -out ca.key 2048 && openssl req -x509 -new -nodes -key ca.key -subj /CN=sluice-k8s-ca -days 3650 -out ca.crt; } 2>/dev/null
  cat >apiserver.cnf <<EOT
[req]
distinguished_name=dn
[dn]
[ext]
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$NODE_IP,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOT
  {
    openssl genrsa -out apiserver.key 2048
    openssl req -new -key apiserver.key -subj /CN=kube-apiserver -out apiserver.csr -config apiserver.cnf
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extensions ext -extfile apiserver.cnf -out apiserver.crt
    [ -f sa.key ] || { openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub; }
  } 2>/dev/null
)

# Static tokens for the control plane and the admin (setup only); fresh each start.
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
admin_token=$(token) kcm_token=$(token) sched_token=$(token) kubelet_token=$(token)
umask 077
cat >"$T/conf/tokens.csv" <<EOT
$admin_token,sluice-admin,sluice-admin,"system:masters"
$kcm_token,system:kube-controller-manager,kcm,
$sched_token,system:kube-scheduler,sched,
$kubelet_token,system:node:$NODE,kubelet-$NODE,"system:nodes"
EOT
printf '%s' "$admin_token" >"$T/conf/admin.token"
kubeconfig() { # kubeconfig NAME TOKEN
  cat >"$T/conf/$1.kubeconfig" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: sluice-local
  cluster: {server: "$K8S_API", certificate-authority: $T/pki/ca.crt}
users:
- name: $1
  user: {token: $2}
contexts:
- name: $1
  context: {cluster: sluice-local, user: $1}
current-context: $1
EOT
}
kubeconfig admin "$admin_token"
kubeconfig kcm "$kcm_token"
kubeconfig sched "$sched_token"
kubeconfig kubelet "$kubelet_token"
umask 022

# containerd: restrict_oom_score_adj because root here lacks CAP_SYS_RESOURCE (every sandbox
# would fail with "can't get final child's PID from pipe"); cgroupfs, as there is no systemd.
containerd config default | sed \
  -e "s#^root = .*#root = \"$T/containerd/root\"#" \
  -e "s#^state = .*#state = \"$T/containerd/state\"#" \
  -e "/^\[grpc\]/,/^\[/ s#^  address = .*#  address = \"$T/containerd/containerd.sock\"#" \
  -e "/^\[ttrpc\]/,/^\[/ s#^  address = .*#  address = \"$T/containerd/containerd-ttrpc.sock\"#" \
  -e "/^\[debug\]/,/^\[/ s#^  address = .*#  address = \"\"#" \
  -e 's#sandbox_image = .*#sandbox_image = "sluice/k8s-pause:1"#' \
  -e 's#bin_dir = "/opt/cni/bin"#bin_dir = "/usr/lib/cni"#' \
  -e "s#conf_dir = \"/etc/cni/net.d\"#conf_dir = \"$T/cni/net.d\"#" \
  -e 's#restrict_oom_score_adj = false#restrict_oom_score_adj = true#' \
  -e 's#SystemdCgroup = true#SystemdCgroup = false#' >"$T/containerd/config.toml"
# A bridge without masquerading: pods get an address (the CRI needs one) but no way out.
cat >"$T/cni/net.d/10-sluice-bridge.conflist" <<EOT
{"cniVersion": "0.4.0", "name": "sluice-bridge", "plugins": [
  {"type": "bridge", "bridge": "sluice-cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$T/cni/ipam", "ranges": [[{"subnet": "10.88.0.0/16"}]]}},
  {"type": "loopback"}]}
EOT

start etcd etcd --name sluice --data-dir "$T/etcd-data" --listen-client-urls http://127.0.0.1:2379 \
  --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster sluice=http://127.0.0.1:2380 \
  --listen-metrics-urls http://127.0.0.1:2381
start containerd containerd --config "$T/containerd/config.toml"
wait_for 60 etcd curl -sf http://127.0.0.1:2379/health
wait_for 60 containerd "${K8S_CTR[@]}" version

start kube-apiserver "$K8S_BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=127.0.0.1 --secure-port=6443 --advertise-address="$NODE_IP" --cert-dir="$T/apiserver-certs" \
  --tls-cert-file="$T/pki/apiserver.crt" --tls-private-key-file="$T/pki/apiserver.key" --client-ca-file="$T/pki/ca.crt" \
  --token-auth-file="$T/conf/tokens.csv" --authorization-mode=Node,RBAC \
  --service-account-key-file="$T/pki/sa.pub" --service-account-signing-key-file="$T/pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range=10.0.0.0/24 --allow-privileged=false \
  --kubelet-preferred-address-types=Hostname,InternalIP --v=1
# Meanwhile: the images the sandbox and the steps need.
"$here/k8s-images.sh"
wait_for 120 kube-apiserver k8s_admin_curl "$K8S_API/readyz"

start kube-controller-manager "$K8S_BIN/kube-controller-manager" --kubeconfig="$T/conf/kcm.kubeconfig" \
  --authentication-kubeconfig="$T/conf/kcm.kubeconfig" --authorization-kubeconfig="$T/conf/kcm.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false \
  --service-account-private-key-file="$T/pki/sa.key" --root-ca-file="$T/pki/ca.crt" --use-service-account-credentials=true \
  --cluster-signing-cert-file="$T/pki/ca.crt" --cluster-signing-key-file="$T/pki/ca.key" \
  --service-cluster-ip-range=10.0.0.0/24 --v=1
start kube-scheduler "$K8S_BIN/kube-scheduler" --kubeconfig="$T/conf/sched.kubeconfig" \
  --authentication-kubeconfig="$T/conf/sched.kubeconfig" --authorization-kubeconfig="$T/conf/sched.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --v=1

cat >"$T/conf/kubelet-config.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$T/containerd/containerd.sock
failSwapOn: false
failCgroupV1: false
clusterDomain: cluster.local
staticPodPath: $T/kubelet/manifests
podLogsDirectory: $T/kubelet/pod-logs
resolvConf: /etc/resolv.conf
imageGCHighThresholdPercent: 100
serializeImagePulls: false
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  imagefs.available: "1%"
EOT
start kubelet "$K8S_BIN/kubelet" --config="$T/conf/kubelet-config.yaml" --kubeconfig="$T/conf/kubelet.kubeconfig" \
  --hostname-override="$NODE" --node-ip="$NODE_IP" --root-dir="$T/kubelet/root" --cert-dir="$T/kubelet/pki" --v=1

node_ready() {
  k8s_admin_curl "$K8S_API/api/v1/nodes/$NODE" | python3 -c '
import json, sys
n = json.load(sys.stdin)
sys.exit(0 if [c for c in n["status"]["conditions"] if c["type"] == "Ready" and c["status"] == "True"] else 1)'
}
wait_for 120 "the node" node_ready

node "$here/k8s-apply.mjs" "$K8S_ADMIN_KUBECONFIG" "$here/../deploy/k8s/worker-rbac.yaml" >&2
# Pods need their namespace's default ServiceAccount, which the controller-manager creates.
wait_for 60 "namespace $K8S_NAMESPACE" k8s_admin_curl "$K8S_API/api/v1/namespaces/$K8S_NAMESPACE/serviceaccounts/default"

# The worker's kubeconfig: a token for the sluice-worker ServiceAccount (a year; remade each start).
sa_token=$(k8s_admin_curl -X POST -H 'Content-Type: application/json' \
  "$K8S_API/api/v1/namespaces/sluice/serviceaccounts/sluice-worker/token" \
  -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":31536000}}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["status"]["token"])')
cat >"$K8S_WORKER_KUBECONFIG.tmp" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: sluice-local
  cluster: {server: "$K8S_API", certificate-authority: $T/pki/ca.crt}
users:
- name: sluice-worker
  user: {token: $sa_token}
contexts:
- name: sluice-worker
  context: {cluster: sluice-local, user: sluice-worker, namespace: $K8S_NAMESPACE}
current-context: sluice-worker
EOT
chmod 600 "$K8S_WORKER_KUBECONFIG.tmp" && mv "$K8S_WORKER_KUBECONFIG.tmp" "$K8S_WORKER_KUBECONFIG"
say "Kubernetes ready in $(($(date +%s) - started)) s: node $NODE, steps in namespace $K8S_NAMESPACE, worker kubeconfig $K8S_WORKER_KUBECONFIG"
