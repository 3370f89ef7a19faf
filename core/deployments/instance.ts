// What the deployment workflow carries of a serving instance: small, serialisable, no handles.
import type { ServerExecutor } from './spec.js';

/** One running model server of (deployment, version). */
export interface InstanceRef {
  deployment: string;
  model: string;
  version: number;
  executor: ServerExecutor;
  /** Base URL the gateway POSTs `${url}/predict` to. */
  url: string;
  /** The instance's directory on the worker's disk: model/, server.log. */
  dir: string;
  /** True when a running instance was found and adopted rather than started. */
  adopted: boolean;
}

/** Outcome of a check (readiness, smoke, alarms): a failed one is an outcome, not an error. */
export type CheckResult = { ok: true; detail: string } | { ok: false; reason: string };

/** `<servingRoot>/<deployment>/v<version>`: where the instance's model and log live. */
export const instanceDirName = (deployment: string, version: number): string => `${deployment}/v${version}`;
export const INSTANCE_LOG = 'server.log';

/**
 * The serving contract's environment, over the spec's own `env` (the worker's values win): which
 * model, where it is (the path as the server sees it), and the port to bind.
 */
export function servingEnv(
  ref: Pick<InstanceRef, 'deployment' | 'model' | 'version'>,
  specEnv: Record<string, string>,
  modelDir: string,
  port: number,
): Record<string, string> {
  return {
    ...specEnv,
    SLUICE_DEPLOYMENT: ref.deployment,
    SLUICE_MODEL_NAME: ref.model,
    SLUICE_MODEL_VERSION: String(ref.version),
    SLUICE_MODEL_DIR: modelDir,
    SLUICE_PORT: String(port),
  };
}
