import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect.js';
import type { SpecCache } from './specs.js';

/** What starting, inspecting and scheduling runs needs; built once by the API (or a bench). */
export interface RunContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  specs: SpecCache;
}
