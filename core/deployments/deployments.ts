import type { Actor } from '../access/audit.js';
import { audited } from '../access/audit.js';
import type { Db } from '../db/connect.js';
import type { DeploymentSpec } from './spec.js';

export interface DeploymentRecord {
  name: string;
  spec: DeploymentSpec;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Creates or replaces a deployment's spec, audited in the same transaction. */
export async function saveDeployment(db: Db, spec: DeploymentSpec, by: Actor): Promise<{ created: boolean }> {
  return audited(db, by, async (uow) => {
    const before = await uow.trx
      .selectFrom('deployments')
      .select('name')
      .where('name', '=', spec.name)
      .forUpdate()
      .executeTakeFirst();
    await uow.trx
      .insertInto('deployments')
      .values({ name: spec.name, spec: JSON.stringify(spec), created_by: by.actor })
      .onConflict((oc) => oc.column('name').doUpdateSet({ spec: JSON.stringify(spec), updated_at: new Date() }))
      .execute();
    await uow.audit(before ? 'deployment.update' : 'deployment.create', 'deployment', spec.name, { model: spec.model });
    return { created: !before };
  });
}

function toRecord(r: {
  name: string;
  spec: unknown;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}): DeploymentRecord {
  return {
    name: r.name,
    spec: r.spec as DeploymentSpec,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function getDeployment(db: Db, name: string): Promise<DeploymentRecord | undefined> {
  const r = await db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
  return r ? toRecord(r) : undefined;
}

export async function listDeployments(db: Db): Promise<DeploymentRecord[]> {
  const rows = await db.selectFrom('deployments').selectAll().orderBy('name').limit(1000).execute();
  return rows.map(toRecord);
}

/** Removes the spec and the routes of a deleted deployment, audited in the same transaction. */
export async function deleteDeploymentRecord(db: Db, name: string, by: Actor, stopped: number[]): Promise<void> {
  await audited(db, by, async (uow) => {
    await uow.trx.deleteFrom('deployment_routes').where('deployment', '=', name).execute();
    await uow.trx.deleteFrom('deployments').where('name', '=', name).execute();
    await uow.audit('deployment.delete', 'deployment', name, { stopped });
  });
}
