import { z } from 'zod';

/** Times cross every boundary (API, CLI) as ISO-8601 strings. */
export const isoTime = z.string().describe('ISO-8601 time');
export const nullableTime = isoTime.nullable();
