import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../core/db/tables/access.js';
import { useApi } from './support/api.js';
import { ensureSchemathesis, runSchemathesis } from './support/schemathesis.js';

const FIXED_SEED = 20261201;
/** Test cases per operation and phase: enough to find a class of defect, small enough for a loaded 2-core machine. */
const MAX_EXAMPLES = Number(process.env.SLUICE_FUZZ_EXAMPLES ?? 6);

/**
 * Rules the server enforces that JSON Schema cannot state, so a request the document calls valid
 * may still get a 400 on these operations (and only these): each names what the schema cannot say.
 */
const SEMANTIC_400: Record<string, string> = {
  'POST /v1/pipelines': 'the spec is checked by its own validator: steps form a DAG, references resolve, types match',
  'POST /v1/pipelines/{name}/runs': 'params are checked against the types the stored pipeline version declares',
  'POST /v1/runs': 'params are checked against the types the stored pipeline version declares',
  'POST /v1/schedules': 'cron and interval grammar, IANA time zones, and params against the pipeline',
  'POST /v1/keys': 'expiresAt must lie in the future, which depends on the clock',
  'POST /v1/models/{name}/versions': 'artifactUri must name the configured artifact store',
  'POST /v1/datasets/{name}/versions': 'artifactUri must name the configured artifact store',
  'POST /v1/models/{name}/versions/upload': 'the metadata part is JSON text, its fields checked once parsed',
  'POST /v1/datasets/{name}/versions/upload': 'the metadata part is JSON text, its fields checked once parsed',
  'POST /v1/deployments':
    'the spec (an object or YAML text) is checked by its own validator, and the version must name one the registry has',
  'POST /v1/deployments/{name}/feedback': 'exactly one of label and labels, and labels one per predicted row',
};

/** Operations left out of a role's run, and why. */
const EXCLUDED: Partial<Record<Role, Record<string, string>>> = {
  // The fuzzer lists keys and revokes the ids it finds, its own among them (the lock-out rule only
  // protects the last admin key): every later request would answer 401. The viewer and operator
  // runs still call it (403).
  admin: { 'DELETE /v1/keys/{id}': 'revokes the key the fuzzer itself uses' },
};

function configToml(): string {
  const lines = [
    '[generation]',
    'database = "none"',
    '',
    // A request refused before routing (a path parameter or a URL the server cannot hold: 414, 431)
    // or for its body size (413) is refused too; these statuses are documented on every route.
    '[checks.negative_data_rejection]',
    'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "431"]',
    '',
  ];
  if (Object.keys(SEMANTIC_400).length) {
    lines.push(
      '[[operations]]',
      `include-name = ${JSON.stringify(Object.keys(SEMANTIC_400))}`,
      '[operations.checks.positive_data_acceptance]',
      'expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]',
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * The OpenAPI document is the contract: schemathesis generates requests from it (valid and
 * invalid, stateful sequences along the links) against the real API, with a key per role, and
 * every check on — no 5xx, every response matches its documented schema, status and content type,
 * invalid requests are refused and valid ones are not.
 */
describe('the API against its OpenAPI document (schemathesis)', () => {
  const api = useApi();
  let cli: string;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    cli = await ensureSchemathesis();
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'sluice-fuzz-'));
    await writeFile(join(dir, 'schemathesis.toml'), configToml());
  }, 600_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const fuzz = async (role: Role, seed: number, examples: number) => {
    const excluded = Object.keys(EXCLUDED[role] ?? {}).flatMap((name) => ['--exclude-name', name]);
    const started = Date.now();
    const run = () =>
      runSchemathesis(
        cli,
        [
          '--config-file',
          join(dir, 'schemathesis.toml'),
          'run',
          `${base}/openapi.json`,
          '--header',
          `Authorization: Bearer ${api.keys[role]}`,
          '--checks',
          'all',
          '--phases',
          'examples,coverage,fuzzing,stateful',
          '--seed',
          String(seed),
          '--max-examples',
          String(examples),
          // One worker: with two threads, CPython 3.11 intermittently fails inside schemathesis while it
          // parses its own source ("SystemError: AST constructor recursion depth mismatch").
          '--workers',
          '1',
          '--request-timeout',
          '30',
          ...excluded,
        ],
        dir,
      );
    let result = await run();
    // Seen once on CPython 3.11: schemathesis crashed in its own code ("SystemError: AST constructor
    // recursion depth mismatch") with no request behind it. Such a run (errors, no failed check) is
    // run again once; an error that repeats fails the test.
    if (result.code !== 0 && /\berrors?\b/.test(result.summary) && !/\bfailures?\b/.test(result.summary))
      result = await run();
    console.log(`schemathesis as ${role}, seed ${seed}, ${Date.now() - started} ms: ${result.summary}`);
    const shown = result.failures.slice(0, 8).join('\n\n');
    expect(
      result.code,
      `schemathesis (${role}, seed ${seed}) failed: ${result.summary}\n\n${shown || result.output.slice(-4000)}`,
    ).toBe(0);
  };

  it('admin key, fixed seed', () => fuzz('admin', FIXED_SEED, MAX_EXAMPLES), 900_000);

  it('operator key, a random seed (printed; set SLUICE_FUZZ_SEED to replay it)', () => {
    const seed = Number(process.env.SLUICE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`random fuzz seed: ${seed}`);
    return fuzz('operator', seed, MAX_EXAMPLES);
  }, 900_000);

  it('viewer key, fixed seed', () => fuzz('viewer', FIXED_SEED, Math.ceil(MAX_EXAMPLES / 2)), 900_000);
});
