// The production image's one entry point (Dockerfile ENTRYPOINT): its first argument picks what the
// container runs, so one image serves as API, worker or a one-off migration.
//   api       the HTTP API (api/main.ts)
//   worker    a pipeline worker (workers/worker-main.ts)
//   migrate   bring the metadata schema up to date and exit (run once before a rolling upgrade)
//   health    the HEALTHCHECK: exit 0 when the role named by SLUICE_ROLE (default api) is healthy
import { runEntryPoint } from './startup.js';

const USAGE = `usage: <image> api | worker | migrate | health

  api      serve the HTTP API on SLUICE_HOST:SLUICE_PORT (default 0.0.0.0:8001 in the image)
  worker   run a pipeline worker on SLUICE_TASK_QUEUE
  migrate  migrate the database at DATABASE_URL to the latest schema and exit
  health   the container health check (SLUICE_ROLE=api|worker says which role to check)

Both api and worker need SLUICE_TEMPORAL_ADDRESS and DATABASE_URL; see README, "Production".`;

const command = process.argv[2];
switch (command) {
  case 'api':
    await import('../api/main.js');
    break;
  case 'worker':
    await import('./worker-main.js');
    break;
  case 'migrate':
    void runEntryPoint({ name: 'sluice-migrate', role: 'the migration', split: false }, async (config, say) => {
      const { dbTarget, openDb } = await import('../core/db/connect.js');
      const { migrateToLatest } = await import('../core/db/migrate.js');
      if (!config.databaseUrl) throw new Error('DATABASE_URL is required to migrate (postgres://…)');
      const db = await openDb(dbTarget(config));
      await migrateToLatest(db);
      await db.destroy();
      say('the database schema is up to date');
    });
    break;
  case 'health': {
    const { checkHealth } = await import('./healthcheck.js');
    const problem = await checkHealth(process.env);
    if (problem) {
      process.stderr.write(`unhealthy: ${problem}\n`);
      process.exit(1);
    }
    break;
  }
  case '-h':
  case '--help':
  case 'help':
    process.stdout.write(`${USAGE}\n`);
    break;
  default:
    process.stderr.write(`${command ? `unknown command '${command}'` : 'no command given'}\n${USAGE}\n`);
    process.exit(2);
}
