/* global console, process */
// Applies YAML manifests (server-side apply) with the given kubeconfig: the cluster scripts'
// stand-in for `kubectl apply -f`, so the local cluster needs no kubectl build.
// Usage: node scripts/k8s-apply.mjs KUBECONFIG FILE.yaml...
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';

const [kubeconfig, ...files] = process.argv.slice(2);
if (!kubeconfig || files.length === 0) throw new Error('usage: k8s-apply.mjs KUBECONFIG FILE.yaml...');
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const client = k8s.KubernetesObjectApi.makeApiClient(kc);
for (const file of files) {
  for (const spec of k8s.loadAllYaml(readFileSync(file, 'utf8'))) {
    if (!spec) continue;
    await client.patch(spec, undefined, undefined, 'sluice-setup', true, k8s.PatchStrategy.ServerSideApply);
    console.log(
      `applied ${spec.kind} ${spec.metadata.namespace ? `${spec.metadata.namespace}/` : ''}${spec.metadata.name}`,
    );
  }
}
