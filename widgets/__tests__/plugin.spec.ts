// The notebook widget's plugin: it shares the PerQueue model and the graph settings with the views
// ipywidgets creates, and registers the WorkflowGraph model and view under the module's name.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';

import { DEFAULT_GRAPH_SETTINGS } from '../../src/graph';
import type { IPerQueueModel } from '../../src/tokens';
import { widgetContext } from '../context';
import { widgetPlugin } from '../plugin';
import { MODULE_NAME, MODULE_VERSION } from '../version';

class FakeSettings {
  constructor(public values: Record<string, unknown>) {}
  readonly changed = new Signal<this, void>(this);
  get(key: string): { composite: unknown } {
    return { composite: this.values[key] };
  }
}

interface IRegistered {
  name: string;
  version: string;
  exports: () => Promise<Record<string, unknown>>;
}

function fakeApp(registered: IRegistered[]): JupyterFrontEnd {
  const widgetRegistry = { registerWidget: (widget: IRegistered) => registered.push(widget) };
  return {
    commands: new CommandRegistry(),
    resolveOptionalService: async () => widgetRegistry
  } as unknown as JupyterFrontEnd;
}

// The graph's layout worker is a browser Worker started from import.meta.url, which Jest has not.
jest.mock('../../src/graph/worker/layout', () => ({
  OFF_THREAD_LAYOUT_MIN_NODES: Infinity,
  layoutOffThread: jest.fn()
}));

const model = {} as IPerQueueModel;
const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('the notebook widget plugin', () => {
  it('gives the views the model and the graph settings, following their changes', async () => {
    const settings = new FakeSettings({ layoutDirection: 'LR', logTail: 50 });
    const registry = { load: async () => settings } as unknown as ISettingRegistry;
    await widgetPlugin.activate(fakeApp([]), model, registry);
    await flush();
    const context = widgetContext()!;
    expect(context.model).toBe(model);
    expect(context.settings()).toEqual({ ...DEFAULT_GRAPH_SETTINGS, layoutDirection: 'LR', logTail: 50 });
    settings.values = { collapseWidthAbove: 3 };
    settings.changed.emit();
    expect(context.settings()).toEqual({ ...DEFAULT_GRAPH_SETTINGS, collapseWidthAbove: 3 });
  });

  it('keeps the default settings when the registry refuses to load them', async () => {
    const registry = { load: async () => Promise.reject(new Error('no schema')) } as unknown as ISettingRegistry;
    await widgetPlugin.activate(fakeApp([]), model, registry);
    await flush();
    expect(widgetContext()!.settings()).toEqual(DEFAULT_GRAPH_SETTINGS);
  });

  it('registers the WorkflowGraph model and view with the Jupyter widget registry', async () => {
    const registered: IRegistered[] = [];
    await widgetPlugin.activate(fakeApp(registered), model, null);
    expect(registered.map(r => [r.name, r.version])).toEqual([[MODULE_NAME, MODULE_VERSION]]);
    const classes = (await registered[0].exports()) as Record<string, { model_name?: string; name: string }>;
    expect(Object.keys(classes).sort()).toEqual(['WorkflowGraphModel', 'WorkflowGraphView']);
    expect(classes.WorkflowGraphModel.model_name).toBe('WorkflowGraphModel');
  });
});
