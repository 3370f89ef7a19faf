import type { Db } from '../../db/connect.js';
import { NotFoundError } from '../../errors.js';
import { expanders, type LineageEdge, nodeId, type NodeType } from './edges.js';
import { type LineageNode, loadNodes } from './nodes.js';

export type Direction = 'upstream' | 'downstream' | 'both';
export const MAX_DEPTH = 10;
export const MAX_NODES = 500;

export interface LineageGraph {
  root: string;
  direction: Direction;
  depth: number;
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** True when the walk stopped at MAX_NODES before reaching `depth`. */
  truncated: boolean;
}

/**
 * Walks the graph from `root` breadth-first, `depth` hops. `both` is the union of an upstream walk
 * and a downstream walk, not an undirected one: siblings (other consumers of the same dataset, say)
 * are not ancestors or descendants, so they are left out.
 */
export async function lineage(
  db: Db,
  root: { type: NodeType; key: string },
  direction: Direction,
  depth: number,
): Promise<LineageGraph> {
  const rootId = nodeId(root.type, root.key);
  const [rootNode] = await loadNodes(db, [rootId]);
  if (rootNode!.attrs.missing) throw new NotFoundError(root.type.replace('_', ' '), root.key);
  const seen = new Set<string>([rootId]);
  const edges = new Map<string, LineageEdge>();
  let truncated = false;
  for (const dir of direction === 'both' ? (['upstream', 'downstream'] as const) : [direction]) {
    let frontier = [rootId];
    for (let d = 0; d < depth && frontier.length && !truncated; d++) {
      const next: string[] = [];
      for (const id of frontier) {
        const i = id.indexOf(':');
        for (const e of await expanders[dir][id.slice(0, i) as NodeType](db, id.slice(i + 1))) {
          const other = dir === 'upstream' ? e.from : e.to;
          if (!seen.has(other)) {
            if (seen.size >= MAX_NODES) {
              truncated = true;
              continue;
            }
            seen.add(other);
            next.push(other);
          }
          edges.set(`${e.from}|${e.kind}|${e.to}|${e.via ?? ''}`, e);
        }
      }
      frontier = next;
    }
  }
  return {
    root: rootId,
    direction,
    depth,
    nodes: await loadNodes(db, [...seen]),
    edges: [...edges.values()],
    truncated,
  };
}
