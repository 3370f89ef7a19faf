import { sql } from 'kysely';
import type { UnitOfWork } from '../access/audit.js';
import { listenOnChannel, type ChannelListener } from '../db/listen.js';

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

export type ChangeListener = ChannelListener;

/** LISTENs for other processes' registry writes and republishes them here; every transition flushes. */
export function listenForRegistryChanges(
  databaseUrl: string,
  onError: (err: Error) => void = () => {},
): ChangeListener {
  return listenOnChannel(databaseUrl, CHANGE_CHANNEL, {
    notify: publishRegistryChange,
    transition: () => publishRegistryChange(null),
    error: onError,
  });
}
