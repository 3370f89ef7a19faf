import { z } from 'zod';
import { ForbiddenError } from '../errors.js';

/** What a scoped key may do. Only `predict` exists: predicting on (and sending feedback to) the named deployments. */
export const keyScopeSchema = z.strictObject({
  predict: z
    .array(
      z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a deployment name: 1..63 chars of [a-z0-9-], starting with a letter'),
    )
    .min(1, 'name at least one deployment')
    .max(100)
    .describe('Deployments this key may predict on and send feedback to; every other route refuses it'),
});
export type KeyScope = z.infer<typeof keyScopeSchema>;

/** What a route lets scoped keys do (its `config.scoped`); routes without it refuse them. */
export type ScopeKind = keyof KeyScope;

/** The scope stored on a key row (jsonb), or null for an ordinary key; an unreadable scope allows nothing. */
export function scopeOf(stored: unknown): KeyScope | null {
  if (stored === null || stored === undefined) return null;
  const parsed = keyScopeSchema.safeParse(stored);
  return parsed.success ? parsed.data : { predict: [] as unknown as KeyScope['predict'] };
}

export function describeScope(s: KeyScope): string {
  return `predicting on ${s.predict.map((d) => `"${d}"`).join(', ')}`;
}

/** Throws 403 unless a key with `scope` may use a route that lets scoped keys do `kind` (or none). */
export function requireScopedRoute(keyId: string, scope: KeyScope | null, kind: ScopeKind | undefined): void {
  if (!scope) return;
  if (!kind)
    throw new ForbiddenError(`API key ${keyId} is limited to ${describeScope(scope)}; this route refuses scoped keys`);
}

/** Throws 403 unless a key with `scope` may act on `deployment` (ordinary keys may). */
export function requireDeploymentInScope(keyId: string, scope: KeyScope | null, deployment: string): void {
  if (!scope || scope.predict.includes(deployment)) return;
  throw new ForbiddenError(`API key ${keyId} is limited to ${describeScope(scope)}, not "${deployment}"`);
}
