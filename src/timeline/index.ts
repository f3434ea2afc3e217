// The timeline of a workflow: the pure model (lanes, rows, viewport, hit-testing), its canvas
// view and the plugin that opens it.
export { timelinePlugin } from './plugin';
export { TimelineView } from './view';
export * from './model';
