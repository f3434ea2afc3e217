// The workflow graph: elements built from the bridge's nodes and edges, iteration bands, labels,
// the layout (off the main thread for large graphs), the cytoscape view and the panel around it.
// Other features and the notebook widget use it through these exports.
export { countsText, stateLabel } from './elements';
export { GraphPanel } from './panel';
export {
  DEFAULT_GRAPH_SETTINGS,
  type IGraphSettings,
  WorkflowGraphView,
  hold as holdWorkflow,
  release as releaseWorkflow
} from './view';
export { GraphLegend } from './legendView';
export { FAMILY_LOOK, stateColorVar } from './legend';
export { graphSettings } from './settings';
