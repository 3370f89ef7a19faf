import type { Db } from '../../db/connect.js';
import { type NodeType, splitVersion } from './edges.js';
import { datasetVersionUri, modelVersionUri } from '../uris.js';

export interface LineageNode {
  id: string;
  type: NodeType;
  label: string;
  /** Type-specific facts: uri, status, metrics, row count, pipeline… */
  attrs: Record<string, unknown>;
}

type Loader = (db: Db, keys: string[]) => Promise<Map<string, Omit<LineageNode, 'id' | 'type'>>>;

function byVersion(keys: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const k of keys) {
    const [name, version] = splitVersion(k);
    out.set(name, [...(out.get(name) ?? []), version]);
  }
  return out;
}

const loaders: Record<NodeType, Loader> = {
  model_version: async (db, keys) => {
    const out = new Map<string, Omit<LineageNode, 'id' | 'type'>>();
    for (const [model, versions] of byVersion(keys)) {
      const rows = await db
        .selectFrom('model_versions')
        .select(['model', 'version', 'status', 'format', 'metrics', 'created_at'])
        .where('model', '=', model)
        .where('version', 'in', versions)
        .execute();
      for (const r of rows) {
        out.set(`${r.model}/${r.version}`, {
          label: `${r.model} v${r.version}`,
          attrs: {
            uri: modelVersionUri(r.model, r.version),
            status: r.status,
            format: r.format,
            metrics: r.metrics,
            createdAt: r.created_at.toISOString(),
          },
        });
      }
    }
    return out;
  },
  dataset_version: async (db, keys) => {
    const out = new Map<string, Omit<LineageNode, 'id' | 'type'>>();
    for (const [dataset, versions] of byVersion(keys)) {
      const rows = await db
        .selectFrom('dataset_versions')
        .select(['dataset', 'version', 'format', 'row_count', 'created_at'])
        .where('dataset', '=', dataset)
        .where('version', 'in', versions)
        .execute();
      for (const r of rows) {
        out.set(`${r.dataset}/${r.version}`, {
          label: `${r.dataset} v${r.version}`,
          attrs: {
            uri: datasetVersionUri(r.dataset, r.version),
            format: r.format,
            rowCount: r.row_count,
            createdAt: r.created_at.toISOString(),
          },
        });
      }
    }
    return out;
  },
  run: async (db, ids) => {
    const rows = await db
      .selectFrom('runs')
      .select(['id', 'pipeline', 'pipeline_version', 'status', 'created_at'])
      .where('id', 'in', ids)
      .execute();
    return new Map(
      rows.map((r) => [
        r.id,
        {
          label: `${r.pipeline} run ${r.id}`,
          attrs: {
            pipeline: r.pipeline,
            pipelineVersion: r.pipeline_version,
            status: r.status,
            createdAt: r.created_at.toISOString(),
          },
        },
      ]),
    );
  },
  artifact: async (db, shas) => {
    const rows = await db
      .selectFrom('artifacts')
      .select(['sha256', 'uri', 'size', 'kind', 'step_id', 'name'])
      .where('sha256', 'in', shas)
      .orderBy('id')
      .execute();
    const out = new Map<string, Omit<LineageNode, 'id' | 'type'>>();
    for (const r of rows) {
      if (out.has(r.sha256)) continue;
      out.set(r.sha256, {
        label: r.name ? `${r.step_id}/${r.name}` : r.sha256.slice(0, 12),
        attrs: { uri: r.uri, sha256: r.sha256, size: Number(r.size), kind: r.kind },
      });
    }
    // Uploaded artifacts were never a step output: describe them from the version that holds them.
    const missing = shas.filter((s) => !out.has(s));
    if (missing.length) {
      const mv = await db
        .selectFrom('model_versions')
        .select(['artifact_sha256', 'artifact_uri', 'artifact_size', 'artifact_kind'])
        .where('artifact_sha256', 'in', missing)
        .execute();
      const dv = await db
        .selectFrom('dataset_versions')
        .select(['digest as artifact_sha256', 'artifact_uri', 'size as artifact_size', 'artifact_kind'])
        .where('digest', 'in', missing)
        .execute();
      for (const r of [...mv, ...dv]) {
        if (out.has(r.artifact_sha256)) continue;
        out.set(r.artifact_sha256, {
          label: `upload ${r.artifact_sha256.slice(0, 12)}`,
          attrs: {
            uri: r.artifact_uri,
            sha256: r.artifact_sha256,
            size: Number(r.artifact_size),
            kind: r.artifact_kind,
          },
        });
      }
    }
    return out;
  },
};

/** Details of every node id, one query per node type (per model or dataset for versions). */
export async function loadNodes(db: Db, ids: string[]): Promise<LineageNode[]> {
  const byType = new Map<NodeType, string[]>();
  for (const id of ids) {
    const i = id.indexOf(':');
    const type = id.slice(0, i) as NodeType;
    byType.set(type, [...(byType.get(type) ?? []), id.slice(i + 1)]);
  }
  const found = new Map<string, Omit<LineageNode, 'id' | 'type'>>();
  for (const [type, keys] of byType) {
    for (const [k, v] of await loaders[type](db, keys)) found.set(`${type}:${k}`, v);
  }
  return ids.map((id) => {
    const type = id.slice(0, id.indexOf(':')) as NodeType;
    return { id, type, ...(found.get(id) ?? { label: id.slice(id.indexOf(':') + 1), attrs: { missing: true } }) };
  });
}
