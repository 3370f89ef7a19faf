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
