#!/usr/bin/env bash
# Stops the local cluster started by k8s-up.sh (by its pid files): the kubelet and control plane,
# every pod container, containerd and etcd. Images and PKI stay for the next start.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/k8s-lib.sh"
T="$K8S_STATE"

stop_daemon() {
  local f="$T/logs/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null
  for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && { kill "$pid"; sleep 2; } # kube-apiserver may need a second TERM
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$f"
  say "stopped $1 ($pid)"
}

stop_daemon kubelet
stop_daemon kube-scheduler
stop_daemon kube-controller-manager
if [ -S "$T/containerd/containerd.sock" ] && "${K8S_CTR[@]}" version >/dev/null 2>&1; then
  for t in $("${K8S_CTR[@]}" tasks ls -q); do "${K8S_CTR[@]}" tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  for _ in $(seq 20); do [ -z "$("${K8S_CTR[@]}" tasks ls -q 2>/dev/null | head -1)" ] && break; sleep 0.25; done
  for t in $("${K8S_CTR[@]}" tasks ls -q); do "${K8S_CTR[@]}" tasks rm -f "$t" >/dev/null 2>&1; done
  for c in $("${K8S_CTR[@]}" containers ls -q); do "${K8S_CTR[@]}" containers rm "$c" >/dev/null 2>&1; done
fi
stop_daemon kube-apiserver
stop_daemon containerd
stop_daemon etcd
# The kubelet's pod volume mounts and the CNI bridge.
grep -o " $T/kubelet/root[^ ]*" /proc/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null; done
ip link del sluice-cni0 2>/dev/null
true
