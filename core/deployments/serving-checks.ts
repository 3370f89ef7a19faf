/** What a deployment's server asks of the installation, checked when the spec is applied. */
import { SluiceError, ValidationError } from '../errors.js';
import { jsonPath } from '../pipeline/issues.js';
import type { StepPolicy } from '../policy/schema.js';
import type { DeploymentSpec } from './spec.js';

/**
 * A server on Kubernetes needs a cluster (a kubeconfig, or SLUICE_EXECUTOR=kubernetes) and a step
 * policy that allows the kubernetes executor; the worker checks both again before it starts one.
 * `base` is where the spec sits in the request body (`['spec']`, or none for a YAML body).
 */
export function checkServer(
  spec: DeploymentSpec,
  installation: { policy: StepPolicy; kubernetes: boolean },
  base: PropertyKey[] = [],
): void {
  if (spec.server.executor !== 'kubernetes') return;
  const path = jsonPath([...base, 'server', 'executor']);
  const { executors } = installation.policy;
  if (!executors.includes('kubernetes')) {
    const message = `the kubernetes executor is not allowed here (allowed: ${executors.join(', ') || 'none'})`;
    // The same problem type and issue shape as a pipeline's policy violation.
    const issue = { path, message: `server: policy rule "executor": ${message}`, rule: 'executor' };
    throw new SluiceError(
      'policy-violation',
      400,
      "the deployment asks for more than this installation's step policy allows (1 violation(s) of: executor)",
      [issue],
    );
  }
  if (!installation.kubernetes)
    throw new ValidationError('server.executor kubernetes needs a Kubernetes cluster', [
      { path, message: 'no kubeconfig is configured (set SLUICE_K8S_KUBECONFIG, or SLUICE_EXECUTOR=kubernetes)' },
    ]);
}
