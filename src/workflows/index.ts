// Workflows: the model plugin, the sidebar, entry details, the status item, the perqueue:*
// commands, notifications and opening a workflow from the page address.
export { modelPlugin, statusPlugin, workflowsPlugin } from './plugin';
export { notificationsPlugin } from './notifications';
export { openFromUrlPlugin } from './openFromUrl';
