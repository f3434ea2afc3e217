// The read-only viewer of archived PerQueue databases.
export { archivePlugin } from './plugin';
export { archiveExportPlugin } from './exportPlugin';
