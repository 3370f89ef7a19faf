import type { OperatorService } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const TYPES = { Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } as const;
/** gRPC ALREADY_EXISTS: another worker registered them first. */
const ALREADY_EXISTS = 6;

/**
 * Registers the search attributes runs set that the namespace lacks. A dev server we start gets
 * them by flag; a cluster given by address (the split shape, or the stack pointed at one) may not
 * have them, and a workflow setting an unknown attribute fails its workflow task. Returns the
 * names it added.
 */
export async function ensureSearchAttributes(
  connection: { operatorService: OperatorService },
  namespace: string,
): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
    });
  } catch (err) {
    if ((err as { code?: number }).code !== ALREADY_EXISTS && !/already exists/i.test((err as Error).message))
      throw err;
  }
  return missing.map(([name]) => name);
}
