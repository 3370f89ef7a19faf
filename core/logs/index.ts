export type { FollowedLogLine, FollowOptions, LogLine, LogStore, LogStream, LogWriter } from './store.js';
export { assertLogId } from './store.js';
export { FileLogStore } from './file.js';
