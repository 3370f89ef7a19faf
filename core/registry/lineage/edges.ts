import type { Db } from '../../db/connect.js';

/**
 * The lineage graph's node types. A deployment type (model_version → deployment, `deployed_as`)
 * is one more entry here, one expander and one loader in nodes.ts.
 */
export type NodeType = 'dataset_version' | 'run' | 'artifact' | 'model_version';
export type EdgeKind = 'consumed_by' | 'produced' | 'registered_as' | 'trained_on';

export interface LineageEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** e.g. the step and output of a `produced` edge, the step and input of a `consumed_by` edge. */
  via?: string;
}

export const nodeId = (type: NodeType, key: string): string => `${type}:${key}`;
const versionKey = (name: string, version: number) => `${name}/${version}`;
function splitVersion(key: string): [string, number] {
  const i = key.lastIndexOf('/');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

type Expand = (db: Db, key: string) => Promise<LineageEdge[]>;

type InputsOf = { type: 'dataset_version' | 'model_version'; key: string } | { sha256: string } | { runId: string };

/** `consumed_by` edges from run_inputs: a registry version (when resolved) or a plain artifact → the run. */
async function runInputEdges(db: Db, where: InputsOf): Promise<LineageEdge[]> {
  let q = db
    .selectFrom('run_inputs')
    .select(['run_id', 'step_id', 'input_name', 'resolved_type', 'resolved_name', 'resolved_version', 'sha256']);
  if ('sha256' in where) q = q.where('sha256', '=', where.sha256).where('resolved_type', 'is', null);
  else if ('runId' in where) q = q.where('run_id', '=', where.runId);
  else {
    const [name, version] = splitVersion(where.key);
    q = q
      .where('resolved_type', '=', where.type)
      .where('resolved_name', '=', name)
      .where('resolved_version', '=', version);
  }
  const rows = await q.orderBy('run_id').orderBy('step_id').orderBy('input_name').execute();
  return rows.map((r) => ({
    from: r.resolved_type
      ? nodeId(r.resolved_type, versionKey(r.resolved_name!, r.resolved_version!))
      : nodeId('artifact', r.sha256),
    to: nodeId('run', r.run_id),
    kind: 'consumed_by' as const,
    via: `${r.step_id}/${r.input_name}`,
  }));
}

const upstream: Record<NodeType, Expand> = {
  model_version: async (db, key) => {
    const [model, version] = splitVersion(key);
    const v = await db
      .selectFrom('model_versions')
      .select('artifact_sha256')
      .where('model', '=', model)
      .where('version', '=', version)
      .executeTakeFirst();
    const ds = await db
      .selectFrom('model_version_datasets')
      .select(['dataset', 'dataset_version'])
      .where('model', '=', model)
      .where('version', '=', version)
      .orderBy('dataset')
      .orderBy('dataset_version')
      .execute();
    const me = nodeId('model_version', key);
    return [
      ...(v ? [{ from: nodeId('artifact', v.artifact_sha256), to: me, kind: 'registered_as' as const }] : []),
      ...ds.map((d) => ({
        from: nodeId('dataset_version', versionKey(d.dataset, d.dataset_version)),
        to: me,
        kind: 'trained_on' as const,
      })),
    ];
  },
  dataset_version: async (db, key) => {
    const [dataset, version] = splitVersion(key);
    const v = await db
      .selectFrom('dataset_versions')
      .select('digest')
      .where('dataset', '=', dataset)
      .where('version', '=', version)
      .executeTakeFirst();
    return v ? [{ from: nodeId('artifact', v.digest), to: nodeId('dataset_version', key), kind: 'registered_as' }] : [];
  },
  run: (db, runId) => runInputEdges(db, { runId }),
  artifact: async (db, sha256) => {
    const rows = await db
      .selectFrom('artifacts')
      .select(['run_id', 'step_id', 'name'])
      .where('sha256', '=', sha256)
      .where('run_id', 'is not', null)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      from: nodeId('run', r.run_id!),
      to: nodeId('artifact', sha256),
      kind: 'produced' as const,
      via: `${r.step_id}/${r.name}`,
    }));
  },
};

const downstream: Record<NodeType, Expand> = {
  model_version: (db, key) => runInputEdges(db, { type: 'model_version', key }),
  dataset_version: async (db, key) => {
    const [dataset, version] = splitVersion(key);
    const models = await db
      .selectFrom('model_version_datasets')
      .select(['model', 'version'])
      .where('dataset', '=', dataset)
      .where('dataset_version', '=', version)
      .orderBy('model')
      .orderBy('version')
      .execute();
    return [
      ...(await runInputEdges(db, { type: 'dataset_version', key })),
      ...models.map((m) => ({
        from: nodeId('dataset_version', key),
        to: nodeId('model_version', versionKey(m.model, m.version)),
        kind: 'trained_on' as const,
      })),
    ];
  },
  run: async (db, runId) => {
    const rows = await db
      .selectFrom('artifacts')
      .select(['sha256', 'step_id', 'name'])
      .where('run_id', '=', runId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      from: nodeId('run', runId),
      to: nodeId('artifact', r.sha256),
      kind: 'produced' as const,
      via: `${r.step_id}/${r.name}`,
    }));
  },
  artifact: async (db, sha256) => {
    const mv = await db
      .selectFrom('model_versions')
      .select(['model', 'version'])
      .where('artifact_sha256', '=', sha256)
      .orderBy('model')
      .orderBy('version')
      .execute();
    const dv = await db
      .selectFrom('dataset_versions')
      .select(['dataset', 'version'])
      .where('digest', '=', sha256)
      .orderBy('dataset')
      .orderBy('version')
      .execute();
    const me = nodeId('artifact', sha256);
    return [
      ...mv.map((m) => ({
        from: me,
        to: nodeId('model_version', versionKey(m.model, m.version)),
        kind: 'registered_as' as const,
      })),
      ...dv.map((d) => ({
        from: me,
        to: nodeId('dataset_version', versionKey(d.dataset, d.version)),
        kind: 'registered_as' as const,
      })),
      ...(await runInputEdges(db, { sha256 })),
    ];
  },
};

export const expanders = { upstream, downstream };
export { splitVersion, versionKey };
