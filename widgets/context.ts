// What the notebook widget's views share with the rest of the extension: the PerQueue model (one
// live connection to the bridge for every view), the commands and the graph settings. The widget
// plugin sets it once; the views, which ipywidgets creates without arguments, read it.
import type { CommandRegistry } from '@lumino/commands';

import type { IGraphSettings } from '../src/graph';
import type { IPerQueueModel } from '../src/tokens';

export interface IWidgetContext {
  model: IPerQueueModel;
  commands: CommandRegistry;
  settings: () => IGraphSettings;
}

let current: IWidgetContext | null = null;

export function setWidgetContext(context: IWidgetContext): void {
  current = context;
}

export function widgetContext(): IWidgetContext | null {
  return current;
}
