import { ApplicationFailure } from '@temporalio/activity';
import type { ArtifactRef } from '../core/artifacts/store.js';
import { findArtifact } from '../core/artifacts/records.js';
import { FailureType } from '../core/errors.js';
import { recordStepInput } from '../core/registry/lineage/step-inputs.js';
import type { ExecuteStepInput } from '../core/runs/contract.js';
import type { ActivityDeps } from './deps.js';

const SHA_IN_URI = /sha256[:/](?:[0-9a-f]{2}\/)?([0-9a-f]{64})$/;

/** Turns an input given as a URI into a verified artifact ref of this store. */
export async function resolveInputUri(deps: ActivityDeps, uri: string): Promise<ArtifactRef> {
  for (const [prefix, resolve] of Object.entries(deps.resolvers ?? {})) {
    if (uri.startsWith(prefix)) {
      const ref = await resolve(uri);
      if (ref) return ref;
      throw ApplicationFailure.nonRetryable(`input ${uri} does not resolve to an artifact`, FailureType.InputNotFound);
    }
  }
  const known = uri.startsWith('sha256:')
    ? await findArtifact(deps.db, { sha256: uri.slice('sha256:'.length) })
    : await findArtifact(deps.db, { uri });
  if (known) return known;
  // Content-addressed URIs carry their own digest: artifacts written by this store earlier.
  const sha = SHA_IN_URI.exec(uri)?.[1];
  if (sha && deps.artifacts.owns(uri) && (await deps.artifacts.exists(uri))) {
    return { uri, sha256: sha, size: 0, kind: 'file' };
  }
  throw ApplicationFailure.nonRetryable(
    `input ${uri} is not an artifact this Sluice knows (use a step output, sha256:<digest>, or a URI of the configured artifact store)`,
    FailureType.InputNotFound,
  );
}

/** The step's inputs as artifact refs: upstream outputs as given, URIs resolved and recorded for lineage. */
export async function resolveStepInputs(
  deps: ActivityDeps,
  input: ExecuteStepInput,
): Promise<Record<string, ArtifactRef>> {
  const inputs: Record<string, ArtifactRef> = {};
  for (const [name, ref] of Object.entries(input.inputs)) {
    if ('sha256' in ref) {
      inputs[name] = ref;
      continue;
    }
    inputs[name] = await resolveInputUri(deps, ref.uri);
    // Lineage: which registry version (dataset, model) this step consumed; idempotent.
    await recordStepInput(deps.db, {
      runId: input.runId,
      stepId: input.step.id,
      inputName: name,
      uri: ref.uri,
      ref: inputs[name],
    });
  }
  return inputs;
}
