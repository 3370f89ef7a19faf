import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every Sluice run carries, so runs are findable in the Temporal UI.
 * The run id attribute is `SluiceRunId`: Temporal reserves `RunId` for its own run ids.
 * Pure (no I/O): workflows import the keys too.
 */
export const PipelineNameKey = defineSearchAttributeKey('PipelineName', SearchAttributeType.KEYWORD);
export const SluiceRunIdKey = defineSearchAttributeKey('SluiceRunId', SearchAttributeType.KEYWORD);
export const TriggerKey = defineSearchAttributeKey('Trigger', SearchAttributeType.KEYWORD);
/** promoted | not-promoted | rejected, upserted when a step decides the run's outcome. */
export const SluiceOutcomeKey = defineSearchAttributeKey('SluiceOutcome', SearchAttributeType.KEYWORD);
/** `waiting` while a run waits for a person (an approve step), `running` once it goes on. */
export const SluiceStatusKey = defineSearchAttributeKey('SluiceStatus', SearchAttributeType.KEYWORD);

/** name=Type pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword'> = {
  [PipelineNameKey.name]: 'Keyword',
  [SluiceRunIdKey.name]: 'Keyword',
  [TriggerKey.name]: 'Keyword',
  [SluiceOutcomeKey.name]: 'Keyword',
  [SluiceStatusKey.name]: 'Keyword',
};
