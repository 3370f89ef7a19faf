import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_STEP_USER, policyFileSchema, type PolicyEnv, type PolicyFile, type PolicySettings } from './schema.js';

/** A policy that cannot be read; the config loader reports it like any bad variable. */
export class PolicyConfigError extends Error {
  override name = 'PolicyConfigError';
}

/** Reads and checks the policy file (YAML, of which JSON is a subset). */
export function readPolicyFile(path: string): PolicyFile {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PolicyConfigError(`SLUICE_POLICY_FILE ${path}: ${(err as Error).message}`);
  }
  const parsed = policyFileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    throw new PolicyConfigError(`SLUICE_POLICY_FILE ${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The policy from the file (if any) with the SLUICE_POLICY_* variables over it. */
export function policySettings(env: PolicyEnv): PolicySettings {
  const file = env.SLUICE_POLICY_FILE ? readPolicyFile(env.SLUICE_POLICY_FILE) : {};
  const executors = env.SLUICE_POLICY_EXECUTORS ?? file.executors;
  const imagePrefixes = env.SLUICE_POLICY_IMAGE_PREFIXES ?? file.imagePrefixes;
  const maxCpu = env.SLUICE_POLICY_MAX_CPU ?? file.maxCpu;
  const maxMemoryMb = env.SLUICE_POLICY_MAX_MEMORY ?? file.maxMemory;
  const maxTimeoutMs = env.SLUICE_POLICY_MAX_TIMEOUT ?? file.maxTimeout;
  return {
    ...(executors ? { executors } : {}),
    ...(imagePrefixes ? { imagePrefixes } : {}),
    hostNetwork: env.SLUICE_POLICY_HOST_NETWORK ?? file.hostNetwork ?? false,
    ...(maxCpu !== undefined ? { maxCpu } : {}),
    ...(maxMemoryMb !== undefined ? { maxMemoryMb } : {}),
    ...(maxTimeoutMs !== undefined ? { maxTimeoutMs } : {}),
    allowRoot: env.SLUICE_POLICY_ALLOW_ROOT ?? file.allowRoot ?? false,
    user: env.SLUICE_POLICY_USER ?? file.user ?? { ...DEFAULT_STEP_USER },
  };
}
