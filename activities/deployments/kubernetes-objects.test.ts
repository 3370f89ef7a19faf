import { describe, expect, it } from 'vitest';
import {
  servingDeployment,
  servingObjectName,
  servingService,
  servingUrl,
  type ServingObjectsInput,
} from './kubernetes-objects.js';

const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('model servers as Kubernetes objects', () => {
  it('names each (deployment, version) deterministically, within a DNS-1035 label, hashed when long', () => {
    expect(servingObjectName('wine', 3)).toBe('sluice-wine-v3');
    const long = 'a'.repeat(63);
    const [a, b] = [servingObjectName(long, 1), servingObjectName(long, 2)];
    expect(a).not.toBe(b);
    expect(servingObjectName(long, 1)).toBe(a);
    for (const n of [
      a,
      b,
      servingObjectName('ends-with-', 12),
      servingObjectName(`${'b'.repeat(50)}-${'c'.repeat(12)}`, 7),
    ]) {
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(DNS_1035);
    }
    // Two deployments whose cut-short names agree still differ by the hash.
    expect(servingObjectName(`${'d'.repeat(60)}x`, 1)).not.toBe(servingObjectName(`${'d'.repeat(60)}y`, 1));
  });

  const input = (address: ServingObjectsInput['address']): ServingObjectsInput => ({
    ref: { deployment: 'wine', model: 'wine', version: 3, dir: '/data/serving/wine/v3' },
    namespace: 'ml',
    image: 'registry.example/serve:1',
    imagePullPolicy: 'IfNotPresent',
    command: ['python3', 'serve.py'],
    env: { WORKERS: '2' },
    address,
    port: address === 'service' ? 8080 : 41234,
    modelDir: '/data/serving/wine/v3/model',
    codeDir: '/data/code/abc',
    resources: { cpu: 1.5, memory: '1Gi' },
    user: { uid: 65534, gid: 65534 },
  });

  it('service mode: the pod in its own network, bound to every address, reached by the Service name', () => {
    const d = servingDeployment(input('service'));
    const pod = d.spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'SLUICE_PORT', value: '8080' },
        { name: 'SLUICE_BIND_ADDRESS', value: '0.0.0.0' },
        { name: 'SLUICE_MODEL_DIR', value: '/sluice/model' },
        { name: 'SLUICE_MODEL_VERSION', value: '3' },
        { name: 'WORKERS', value: '2' },
      ]),
    );
    expect(c.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 8080 });
    expect(c.resources).toEqual({
      requests: { cpu: '1500m', memory: String(1024 ** 3) },
      limits: { cpu: '1500m', memory: String(1024 ** 3) },
    });
    expect(c.workingDir).toBe('/sluice/code');
    expect(pod.volumes!.map((v) => [v.name, v.hostPath!.path])).toEqual([
      ['model', '/data/serving/wine/v3/model'],
      ['code', '/data/code/abc'],
    ]);
    expect(c.volumeMounts!.every((m) => m.readOnly)).toBe(true);
    expect(d.spec!.selector.matchLabels).toEqual(d.spec!.template.metadata!.labels);
    const svc = servingService(input('service'));
    expect(svc.spec!.selector).toEqual(d.spec!.selector.matchLabels);
    expect(svc.metadata!.name).toBe(d.metadata!.name);
    expect(servingUrl('sluice-wine-v3', 'ml', 'service', 8080)).toBe('http://sluice-wine-v3.ml.svc:8080');
  });

  it('node-loopback mode: a hostNetwork pod on a loopback port, probed there', () => {
    const pod = servingDeployment(input('node-loopback')).spec!.template.spec!;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.containers[0]!.env).toEqual(
      expect.arrayContaining([{ name: 'SLUICE_BIND_ADDRESS', value: '127.0.0.1' }]),
    );
    expect(pod.containers[0]!.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 41234, host: '127.0.0.1' });
    expect(servingUrl('x', 'ml', 'node-loopback', 41234)).toBe('http://127.0.0.1:41234');
  });
});
