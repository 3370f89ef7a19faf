import { colors } from './output.js';
import { formatMetrics } from './registry-format.js';
import type { LineageGraph, LineageNode } from './types.js';

type Edge = LineageGraph['edges'][number];
type Side = 'upstream' | 'downstream';

const TYPE_WORD: Record<LineageNode['type'], string> = {
  model_version: 'model',
  dataset_version: 'dataset',
  run: 'run',
  artifact: 'artifact',
};

/** One node on one line: what it is, then the facts worth seeing at a glance. */
export function describeNode(n: LineageNode | undefined, id: string): string {
  if (!n) return id;
  const a = n.attrs;
  const facts: string[] = [];
  if (a.missing) facts.push('missing');
  if (n.type === 'model_version') {
    facts.push(String(a.status ?? ''));
    if (a.metrics && typeof a.metrics === 'object') facts.push(formatMetrics(a.metrics as Record<string, number>));
  } else if (n.type === 'dataset_version' && typeof a.rowCount === 'number') facts.push(`${a.rowCount} rows`);
  else if (n.type === 'run') facts.push(String(a.status ?? ''));
  else if (n.type === 'artifact' && typeof a.size === 'number') facts.push(`${a.size} bytes`);
  const detail = facts.filter(Boolean).join(', ');
  return `${colors.dim(TYPE_WORD[n.type])} ${colors.bold(n.label)}${detail ? colors.dim(` (${detail})`) : ''}`;
}

/**
 * The graph as an indented tree from its root: upstream follows edges backwards (what it came
 * from), downstream forwards (what came of it). A node reached twice is printed again but not
 * expanded again, so shared ancestors and diamonds stay readable and cycles terminate.
 */
export function lineageTree(g: LineageGraph): string[] {
  const nodes = new Map(g.nodes.map((n) => [n.id, n]));
  const lines = [describeNode(nodes.get(g.root), g.root)];
  const sides: Side[] = g.direction === 'both' ? ['upstream', 'downstream'] : [g.direction];
  for (const side of sides) {
    const next = (id: string): Array<[Edge, string]> =>
      g.edges
        .filter((e) => (side === 'upstream' ? e.to === id : e.from === id))
        .map((e): [Edge, string] => [e, side === 'upstream' ? e.from : e.to]);
    const expanded = new Set<string>([g.root]);
    const walk = (id: string, prefix: string) => {
      const kids = next(id);
      kids.forEach(([e, child], i) => {
        const last = i === kids.length - 1;
        const arrow = side === 'upstream' ? '←' : '→';
        const via = e.via ? colors.dim(` via ${e.via}`) : '';
        const again = expanded.has(child);
        lines.push(
          `${prefix}${last ? '└─' : '├─'} ${colors.dim(`${arrow} ${e.kind}`)} ${describeNode(nodes.get(child), child)}${via}${again ? colors.dim(' (see above)') : ''}`,
        );
        if (again) return;
        expanded.add(child);
        walk(child, `${prefix}${last ? '   ' : '│  '}`);
      });
    };
    const start = lines.length;
    lines.push(colors.dim(side === 'upstream' ? 'upstream (what it came from):' : 'downstream (what came of it):'));
    walk(g.root, '');
    if (lines.length === start + 1) lines.push(colors.dim(`└─ (nothing within ${g.depth} hops)`));
  }
  if (g.truncated) lines.push(colors.yellow('(truncated: the graph is larger than the API returns at once)'));
  return lines;
}
