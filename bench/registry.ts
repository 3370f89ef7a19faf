// `npm run bench -- registry`: GET a model version by alias and search versions by metric at 64
// connections, and registration throughput, through the real API (Fastify + auth + kysely) on
// PostgreSQL and on PGlite. autocannon runs as a separate process so it does not share the
// server's event loop.
import { Connection, Client } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildServer } from '../api/server.js';
import { LocalArtifactStore } from '../core/artifacts/local.js';
import { loadConfig } from '../core/config.js';
import { openDb, type Db } from '../core/db/connect.js';
import { issueKey } from '../core/access/keys.js';
import { recordArtifact } from '../core/artifacts/records.js';
import { FileLogStore } from '../core/logs/index.js';
import { setAlias } from '../core/registry/models/aliases.js';
import { registerVersion } from '../core/registry/models/versions-write.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { testServices } from '../test/support/services.js';

const POSTGRES_URL = testServices.postgresUrl;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 64;
const VERSIONS = 1000;
const autocannonBin = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));
const cores = cpus().length;
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, cores })}\n`);
const by = { actor: 'bench' };

interface Cannon {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  '2xx': number;
}

/** Runs the autocannon CLI against `url` and returns its JSON summary. */
function cannon(url: string, key: string, extra: string[] = []): Promise<Cannon> {
  const args = [
    autocannonBin,
    '-j',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(DURATION_S),
    '-H',
    `authorization=Bearer ${key}`,
    ...extra,
    url,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    p.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Cannon) : reject(new Error(`autocannon exited ${code}`)),
    );
  });
}

/** ~1000 versions of `churn` with metrics and tags, an alias, and one stored artifact recorded as a step output. */
async function seed(db: Db, store: LocalArtifactStore, dir: string): Promise<void> {
  const file = join(dir, 'model.pkl');
  await writeFile(file, Buffer.alloc(4096, 3));
  const artifact = await store.putPath(file);
  await db
    .insertInto('runs')
    .values({
      id: 'bench-run',
      pipeline: 'train',
      pipeline_version: 1,
      workflow_id: 'run-bench-run',
      status: 'succeeded',
      trigger: 'bench',
      params: '{}',
    })
    .execute();
  await recordArtifact(db, artifact, { runId: 'bench-run', stepId: 'fit', name: 'model.pkl' });
  let x = 7;
  const rand = () => {
    x = (x * 48271) % 2147483647;
    return x / 2147483647;
  };
  for (let i = 0; i < VERSIONS; i++) {
    await registerVersion(
      db,
      {
        model: 'churn',
        artifact,
        format: 'sklearn-pickle',
        producer: { runId: 'bench-run', stepId: 'fit', output: 'model.pkl' },
        metrics: { accuracy: 0.7 + 0.3 * rand(), f1: rand(), loss: rand() },
        params: { C: i % 10, solver: 'lbfgs' },
        tags: { stage: i % 3 ? 'dev' : 'prod' },
      },
      by,
    );
  }
  await setAlias(db, 'churn', 'champion', VERSIONS / 2, by);
}

async function bench(
  dbName: 'postgres' | 'pglite',
  db: Db,
  dir: string,
  env: Record<string, string> = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const store = new LocalArtifactStore(join(dir, 'artifacts'));
  await seed(db, store, dir);
  // As deployed: with DATABASE_URL the API listens on the registry change feed (see VersionCache).
  const config = loadConfig({
    SLUICE_DATA_DIR: dir,
    SLUICE_LOG_LEVEL: 'silent',
    SLUICE_RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
  // Registry routes never touch Temporal: a lazy connection is never dialled.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const server = await buildServer(
    { config, db, temporal, artifacts: store, logs: new FileLogStore(join(dir, 'logs')) },
    { logger: false },
  );
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  const { key } = await issueKey(db, { name: 'bench', role: 'admin' });
  try {
    const read = async (name: string, path: string) => {
      const r = await cannon(`${base}${path}`, key);
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      emit({
        case: name,
        db: dbName,
        connections: CONNECTIONS,
        requestsPerSec: Math.round(r.requests.average),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
      });
    };
    await read('get-version-by-alias', '/v1/models/churn/aliases/champion');
    await read('search-versions-by-metric', '/v1/models/churn/versions?metric=accuracy&op=gt&value=0.9&limit=20');

    const before = (
      await db.selectFrom('models').select('next_version').where('name', '=', 'churn').executeTakeFirstOrThrow()
    ).next_version;
    const body = JSON.stringify({
      source: { runId: 'bench-run', stepId: 'fit', output: 'model.pkl' },
      metrics: { accuracy: 0.9 },
    });
    const r = await cannon(`${base}/v1/models/churn/versions`, key, [
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-b',
      body,
    ]);
    const rows = await db
      .selectFrom('model_versions')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('version').as('max')])
      .where('model', '=', 'churn')
      .executeTakeFirstOrThrow();
    const created = Number(rows.n) - (before - 1);
    // Versions stay 1..N without gaps (duplicates are impossible: primary key).
    const contiguous = Number(rows.max) === Number(rows.n);
    emit({
      case: 'register-versions',
      db: dbName,
      connections: CONNECTIONS,
      count: created,
      perSec: Math.round(created / DURATION_S),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      errors: r.non2xx + r.errors,
      contiguous,
    });
  } finally {
    await server.close();
  }
}

export async function run(): Promise<void> {
  const schema = `bench_registry_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-registry-'));
  try {
    const pgDb = await openDb({ databaseUrl: POSTGRES_URL, schema, poolSize: 10 });
    await migrateToLatest(pgDb);
    await bench('postgres', pgDb, join(dir, 'pg'), { DATABASE_URL: POSTGRES_URL, SLUICE_DB_SCHEMA: schema });
    await pgDb.destroy();
    const lite = await openDb({ pgliteDir: join(dir, 'pglite') });
    await migrateToLatest(lite);
    await bench('pglite', lite, join(dir, 'lite'));
    await lite.destroy();
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

export default run;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
