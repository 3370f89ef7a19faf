import { sql } from 'kysely';
import pg from 'pg';
import type { UnitOfWork } from '../access/audit.js';

/** Postgres NOTIFY channel on which every registry write announces the model it changed. */
export const CHANGE_CHANNEL = 'sluice_registry';

type Subscriber = (model: string | null) => void;
const subscribers = new Set<Subscriber>();

/**
 * Announces that a unit of work changed `model`: other processes hear it through NOTIFY, which
 * Postgres delivers on commit; this process' caches hear it once the unit of work has committed.
 */
export async function modelChanged(uow: UnitOfWork, model: string): Promise<void> {
  await sql`select pg_notify(${CHANGE_CHANNEL}, ${model})`.execute(uow.trx);
  uow.onCommit(() => publishRegistryChange(model));
}

/** Tells this process' caches that `model` changed (null: anything may have). */
function publishRegistryChange(model: string | null): void {
  for (const s of subscribers) s(model);
}

export function onRegistryChange(s: Subscriber): () => void {
  subscribers.add(s);
  return () => subscribers.delete(s);
}

export interface ChangeListener {
  /** True while LISTEN is active: only then may other processes' writes be assumed seen. */
  readonly up: boolean;
  stop(): Promise<void>;
}

/**
 * LISTENs for other processes' registry writes on a dedicated connection and republishes them in
 * this process. While the connection is down, `up` is false (caches must bypass themselves) and it
 * reconnects every second; every transition publishes a full flush.
 */
export function listenForRegistryChanges(
  databaseUrl: string,
  onError: (err: Error) => void = () => {},
): ChangeListener {
  let client: pg.Client | undefined;
  let up = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pending: Promise<void> = Promise.resolve();

  const down = (c: pg.Client, err?: Error) => {
    if (client !== c) return;
    client = undefined;
    up = false;
    publishRegistryChange(null);
    if (err) onError(err);
    c.end().catch(() => {});
    if (!stopped)
      timer = setTimeout(() => {
        pending = connect();
      }, 1_000);
  };
  const connect = async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    client = c;
    c.on('notification', (n) => publishRegistryChange(n.payload ?? null));
    c.on('error', (err) => down(c, err));
    c.on('end', () => down(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (client !== c) return;
      publishRegistryChange(null);
      up = true;
    } catch (err) {
      down(c, err as Error);
    }
  };
  pending = connect();
  return {
    get up() {
      return up;
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await pending;
      const c = client;
      client = undefined;
      up = false;
      await c?.end().catch(() => {});
    },
  };
}
