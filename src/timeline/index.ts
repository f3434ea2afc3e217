// The timeline of a workflow: the pure model (model.ts: lanes, rows, viewport, hit-testing, also
// used by `pql report`), its canvas view (view.ts) and the plugin that opens it.
export { timelinePlugin } from './plugin';
