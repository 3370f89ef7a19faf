/** What a deployment's server asks of the installation, checked when the spec is applied. */
import { ValidationError } from '../errors.js';
import { jsonPath } from '../pipeline/issues.js';
import type { DeploymentSpec } from './spec.js';

/**
 * A server on Kubernetes needs a cluster (a kubeconfig, or SLUICE_EXECUTOR=kubernetes); the step
 * policy's rules are core/policy's checkServer. The worker checks both again before it starts one.
 * `base` is where the spec sits in the request body (`['spec']`, or none for a YAML body).
 */
export function checkServerInstallation(
  spec: DeploymentSpec,
  installation: { kubernetes: boolean },
  base: PropertyKey[] = [],
): void {
  if (spec.server.executor !== 'kubernetes' || installation.kubernetes) return;
  throw new ValidationError('server.executor kubernetes needs a Kubernetes cluster', [
    {
      path: jsonPath([...base, 'server', 'executor']),
      message: 'no kubeconfig is configured (set SLUICE_K8S_KUBECONFIG, or SLUICE_EXECUTOR=kubernetes)',
    },
  ]);
}
