// Registers the notebook widget (widget.ts) with ipywidgets' registry. It is a plugin of its own
// so that JupyterLab without ipywidgets (no jupyterlab_widgets) keeps every other PerQueue view:
// @jupyter-widgets/base is a shared package that only jupyterlab_widgets provides, so it is loaded
// on demand here and never imported statically by the extension's entry point.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { DEFAULT_GRAPH_SETTINGS, graphSettings, IGraphSettings } from '../src/graph';
import { IPerQueueModel } from '../src/tokens';
import { setWidgetContext } from './context';
import { MODULE_NAME, MODULE_VERSION } from './version';

/** The settings of the model plugin hold the graph's settings too. */
const SETTINGS_ID = 'perqueue-lab:plugin';

export const widgetPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:widgets',
  description: 'The live workflow graph widget for notebooks (WorkflowGraph).',
  autoStart: true,
  requires: [IPerQueueModel],
  optional: [ISettingRegistry],
  activate: async (app: JupyterFrontEnd, model: IPerQueueModel, registry: ISettingRegistry | null): Promise<void> => {
    let current: IGraphSettings = { ...DEFAULT_GRAPH_SETTINGS };
    setWidgetContext({ model, commands: app.commands, settings: () => current });
    if (registry) {
      registry.load(SETTINGS_ID).then(
        settings => {
          const read = () => {
            current = graphSettings(settings);
          };
          read();
          settings.changed.connect(read);
        },
        () => undefined
      );
    }

    let base: typeof import('@jupyter-widgets/base');
    try {
      base = await import('@jupyter-widgets/base');
    } catch {
      console.info('PerQueue Lab: ipywidgets (jupyterlab_widgets) is not installed; the notebook graph widget is off.');
      return;
    }
    const widgets = await app.resolveOptionalService(base.IJupyterWidgetRegistry);
    if (!widgets) {
      console.info('PerQueue Lab: no Jupyter widget registry; the notebook graph widget is off.');
      return;
    }
    widgets.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: async () => {
        const { WorkflowGraphModel, WorkflowGraphView } = await import('./widget');
        return { WorkflowGraphModel, WorkflowGraphView };
      }
    });
  }
};
