import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect.js';
import type { Lru } from '../util/lru.js';
import type { SpecCache } from './specs.js';
import type { RunView } from './views.js';

/** What starting, inspecting and scheduling runs needs; built once by the API (or a bench). */
export interface RunContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  specs: SpecCache;
  /**
   * Views of finished runs. A run records its final state only after every step has recorded
   * its own, so a finished run's view never changes: GET run by id serves it from memory.
   */
  finished: Lru<RunView>;
}
