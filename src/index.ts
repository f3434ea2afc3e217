// The extension's plugin list; each feature's folder exports its own plugins from its index.ts.
import { archiveExportPlugin, archivePlugin } from './archive';
import { builderPlugin } from './builder';
import { humanStepsPlugin } from './humanSteps';
import { timelinePlugin } from './timeline';
import { modelPlugin, notificationsPlugin, openFromUrlPlugin, statusPlugin, workflowsPlugin } from './workflows';
import { widgetPlugin } from '../widgets/plugin';

export { IPerQueueModel, CommandIDs } from './tokens';
export type { PerQueue } from './tokens';

export default [
  modelPlugin,
  workflowsPlugin,
  statusPlugin,
  notificationsPlugin,
  openFromUrlPlugin,
  humanStepsPlugin,
  widgetPlugin,
  timelinePlugin,
  builderPlugin,
  archiveExportPlugin,
  archivePlugin
];
