import { z } from 'zod';
import { cursorQuery, pageLimit, plainText, timeQuery } from './common.js';

export const driftParams = z.strictObject({ name: plainText(200).min(1).describe('the deployment') });

export const driftQuery = z.strictObject({
  feature: plainText(200).optional().describe("one feature's series ('' for the data set rows)"),
  since: timeQuery.optional(),
  cursor: cursorQuery.optional(),
  limit: pageLimit,
});

export { driftView, featureResult, seriesPoint, type DriftView } from '../../core/drift/views.js';
