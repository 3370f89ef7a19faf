import { z } from 'zod';

/**
 * Query parameters that depend on each other ("op and value go together") cannot say so as separate
 * OpenAPI parameters. Such a group is documented as one object parameter, `style: form, explode: true`
 * (so the wire format stays `?metric=…&op=…&value=…`), whose schema carries the rules
 * (`dependentRequired`, `if`/`then`). A route marks its querystring schema with `paramGroup(...)`.
 */
const KEY = 'x-sluice-param-group';

interface ParamGroup {
  name: string;
  description: string;
  keys: string[];
  rules: Record<string, unknown>;
}

export const paramGroup = (group: ParamGroup) => ({ [KEY]: group });

interface Parameter {
  in: string;
  name: string;
  schema?: unknown;
  description?: string;
}
type Operation = { parameters?: Parameter[] };
type Doc = { paths?: Record<string, Record<string, Operation>> };

/** Collects the groups of each route while @fastify/swagger transforms it, then rewrites the document. */
export function paramGroups() {
  const groups = new Map<string, ParamGroup>();
  return {
    collect(method: string | string[], url: string, querystring: unknown): void {
      const meta = querystring instanceof z.ZodType ? z.globalRegistry.get(querystring) : undefined;
      const group = (meta as Record<string, unknown> | undefined)?.[KEY] as ParamGroup | undefined;
      if (!group) return;
      for (const m of [method].flat()) groups.set(`${m.toLowerCase()} ${url.replace(/:(\w+)/g, '{$1}')}`, group);
    },
    apply<T>(doc: T): T {
      for (const [path, ops] of Object.entries((doc as Doc).paths ?? {})) {
        for (const [method, op] of Object.entries(ops)) {
          const group = groups.get(`${method} ${path}`);
          if (!group || !op.parameters) continue;
          const inGroup = op.parameters.filter((p) => p.in === 'query' && group.keys.includes(p.name));
          const properties = Object.fromEntries(
            inGroup.map((p) => [
              p.name,
              { ...(p.schema as object), ...(p.description ? { description: p.description } : {}) },
            ]),
          );
          op.parameters = [
            ...op.parameters.filter((p) => !inGroup.includes(p)),
            {
              in: 'query',
              name: group.name,
              description: group.description,
              style: 'form',
              explode: true,
              schema: { type: 'object', properties, additionalProperties: false, ...group.rules },
            } as Parameter,
          ];
        }
      }
      return doc;
    },
  };
}
