import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { VersionStatus } from '../../db/tables/registry.js';
import { CursorNotFoundError, NotFoundError, ValidationError } from '../../errors.js';
import { tagConditions } from '../tag-conditions.js';
import type { TagFilter } from '../names.js';
import { type ModelVersion, selectVersions, toVersion } from './versions-read.js';

export const METRIC_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', ne: '<>' } as const;
export type MetricOp = keyof typeof METRIC_OPS;
export type VersionOrder = 'newest' | 'oldest' | 'metric_desc' | 'metric_asc';

export interface VersionFilter {
  /** Filter and/or order by this metric; versions without it are left out. */
  metric?: string;
  op?: MetricOp;
  value?: number;
  tags?: TagFilter[];
  alias?: string;
  status?: VersionStatus | 'all';
  order?: VersionOrder;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  limit: number;
}

interface Cursor {
  v: number;
  m?: number;
}

const badCursor = () => new CursorNotFoundError('not a cursor this API returned for this order');

function decodeCursor(s: string, byMetric: boolean): Cursor {
  let c: Cursor;
  try {
    c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw badCursor();
  }
  if (!c || !Number.isInteger(c.v) || (byMetric ? typeof c.m !== 'number' : c.m !== undefined)) throw badCursor();
  return c;
}
const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

/** Versions of one model, filtered by metric, tag, alias and status; keyset-paginated. */
export async function searchVersions(
  db: Db,
  model: string,
  f: VersionFilter,
): Promise<{ items: ModelVersion[]; nextCursor: string | null }> {
  const order = f.order ?? 'newest';
  const byMetric = order === 'metric_desc' || order === 'metric_asc';
  if (byMetric && !f.metric)
    throw new ValidationError(`order=${order} needs a metric`, [
      { path: 'querystring.metric', message: `required with order=${order}` },
    ]);
  if ((f.op === undefined) !== (f.value === undefined)) {
    throw new ValidationError('op and value go together', [
      { path: `querystring.${f.op === undefined ? 'op' : 'value'}`, message: 'give metric, op and value together' },
    ]);
  }
  if (f.op && !f.metric)
    throw new ValidationError('op needs a metric', [
      { path: 'querystring.metric', message: 'required with op and value' },
    ]);
  const cursor = f.cursor ? decodeCursor(f.cursor, byMetric) : undefined;

  let q = selectVersions(db).where('v.model', '=', model);
  const status = f.status ?? 'registered';
  if (status !== 'all') q = q.where('v.status', '=', status);
  for (const c of tagConditions('v.tags', f.tags)) q = q.where(c);
  if (f.alias) {
    const alias = f.alias;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('model_aliases as fa')
          .select(sql`1`.as('one'))
          .whereRef('fa.model', '=', 'v.model')
          .whereRef('fa.version', '=', 'v.version')
          .where('fa.alias', '=', alias),
      ),
    );
  }
  let withMetric = q.select(sql<number | null>`null::double precision`.as('metric_value'));
  if (f.metric) {
    const metric = f.metric;
    let mq = q
      .innerJoin('model_version_metrics as m', (j) =>
        j.onRef('m.model', '=', 'v.model').onRef('m.version', '=', 'v.version'),
      )
      .where('m.name', '=', metric);
    if (f.op && f.value !== undefined) mq = mq.where('m.value', METRIC_OPS[f.op], f.value);
    withMetric = mq.select('m.value as metric_value');
  }
  if (order === 'newest')
    withMetric = withMetric.$if(!!cursor, (qb) => qb.where('v.version', '<', cursor!.v)).orderBy('v.version', 'desc');
  else if (order === 'oldest')
    withMetric = withMetric.$if(!!cursor, (qb) => qb.where('v.version', '>', cursor!.v)).orderBy('v.version', 'asc');
  else {
    // Ties on the metric break by version in the same direction, so the keyset is one row comparison.
    const dir = order === 'metric_desc' ? sql.raw('<') : sql.raw('>');
    if (cursor)
      withMetric = withMetric.where(
        sql<boolean>`(m.value, v.version) ${dir} (${cursor.m!}::double precision, ${cursor.v}::integer)`,
      );
    const d = order === 'metric_desc' ? 'desc' : 'asc';
    withMetric = withMetric.orderBy(sql.ref('m.value'), d).orderBy('v.version', d);
  }
  const rows = await withMetric.limit(f.limit + 1).execute();
  if (rows.length === 0 && !cursor) {
    const m = await db.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
    if (!m) throw new NotFoundError('model', model);
  }
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  const next =
    rows.length > f.limit && last
      ? encodeCursor(byMetric ? { v: last.version, m: Number(last.metric_value) } : { v: last.version })
      : null;
  return { items: page.map(toVersion), nextCursor: next };
}
