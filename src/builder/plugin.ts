// The workflow-definition document type (.pqwf.json, .pqwf), the builder's widget factory, its
// commands and toolbar, and the "New Workflow Definition" launcher card.
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ABCWidgetFactory, DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { CommandToolbarButton, LabIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';

import { addDocumentFactory } from '../documents';
import { CommandIDs, IPerQueueModel } from '../tokens';
import { blankDefinition } from './document';
import { DEFAULT_BUILDER_SETTINGS, IBuilderSettings, WorkflowBuilder } from './editor';

const BUILDER_FACTORY = 'PerQueue Workflow Builder';
const DEFINITION_FILE_TYPE = 'perqueue-workflow';
const SETTINGS_ID = 'perqueue-lab:plugin';

const workflowIcon = new LabIcon({
  name: 'perqueue-lab:workflow',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<rect x="2" y="2" width="8" height="6" rx="1.5"/><rect x="14" y="9" width="8" height="6" rx="1.5"/>' +
    '<rect x="2" y="16" width="8" height="6" rx="1.5"/><path d="M6 8v8h1.5V8zM10 5h4.5v4H13V6.5h-3zM13 15v4h-3v-1.5h1.5V15z"/></g></svg>'
});

/** Builder commands that act on the current builder; the toolbar shows them as buttons. */
const BUILDER_COMMANDS: {
  id: string;
  label: string;
  caption: string;
  run: (b: WorkflowBuilder) => unknown;
  enabled: (b: WorkflowBuilder) => boolean;
}[] = [
  {
    id: 'perqueue:builder-add-task',
    label: 'Add task',
    caption: 'Add a task running a script of this project',
    run: b => b.addTask(),
    enabled: b => !!b.definition
  },
  {
    id: 'perqueue:builder-add-manual',
    label: 'Add manual step',
    caption: 'Add a step done by a person in a notebook',
    run: b => b.addManual(),
    enabled: b => !!b.definition
  },
  {
    id: 'perqueue:builder-connect',
    label: 'Connect',
    caption: 'Make the second selected item run after the first',
    run: b => b.connectSelected(),
    enabled: b => b.selection.length === 2
  },
  {
    id: 'perqueue:builder-group',
    label: 'Group…',
    caption: 'Put the selected items in a StaticWidth, DynamicWidth, Cyclical or Switch group',
    run: b => b.groupSelected(),
    enabled: b => b.selection.length > 0
  },
  {
    id: 'perqueue:builder-ungroup',
    label: 'Ungroup',
    caption: 'Take the selected group’s content out of it',
    run: b => b.ungroupSelected(),
    enabled: b =>
      b.selection.length === 1 && b.definition?.items().find(i => i.path === b.selection[0])?.compound === true
  },
  {
    id: 'perqueue:builder-delete',
    label: 'Delete',
    caption: 'Remove the selected items and dependencies',
    run: b => b.deleteSelected(),
    enabled: b => !!b.definition && (b.selection.length > 0 || !!b.cytoscape?.edges(':selected').nonempty())
  },
  {
    id: 'perqueue:builder-relayout',
    label: 'Relayout',
    caption: 'Lay the graph out again',
    run: b => b.relayout(),
    enabled: b => !!b.definition
  },
  {
    id: CommandIDs.submitDefinition,
    label: 'Submit',
    caption: 'Submit this workflow to the bridge',
    run: b => b.submit(),
    enabled: b => b.canSubmit
  }
];

class BuilderFactory extends ABCWidgetFactory<DocumentWidget<WorkflowBuilder>> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<DocumentWidget<WorkflowBuilder>>,
    private readonly _make: (context: DocumentRegistry.Context) => WorkflowBuilder,
    private readonly _commands: CommandRegistry
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.Context): DocumentWidget<WorkflowBuilder> {
    const content = this._make(context);
    const widget = new DocumentWidget({ content, context });
    widget.addClass('jp-PerQueue-builder-widget');
    widget.title.icon = workflowIcon;
    for (const command of BUILDER_COMMANDS) {
      widget.toolbar.addItem(
        command.id.replace(/^perqueue:(builder-)?/, ''),
        new CommandToolbarButton({ commands: this._commands, id: command.id, label: command.label })
      );
    }
    content.stateChanged.connect(() => this._commands.notifyCommandChanged());
    return widget;
  }
}

function builderSettings(settings: ISettingRegistry.ISettings | null): IBuilderSettings {
  const get = <T>(key: string, fallback: T): T => (settings?.get(key).composite as T | undefined) ?? fallback;
  return {
    defaultResources: get('builderDefaultResources', DEFAULT_BUILDER_SETTINGS.defaultResources),
    projectFolder: get('projectFolder', DEFAULT_BUILDER_SETTINGS.projectFolder),
    layoutDirection: get('layoutDirection', DEFAULT_BUILDER_SETTINGS.layoutDirection)
  };
}

export const builderPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:builder',
  description: 'The graphical builder of PerQueue workflow definitions (.pqwf.json).',
  autoStart: true,
  requires: [IDocumentManager],
  optional: [IPerQueueModel, ISettingRegistry, ICommandPalette, ILauncher, ILayoutRestorer, IDefaultFileBrowser],
  activate: async (
    app: JupyterFrontEnd,
    manager: IDocumentManager,
    perqueue: IPerQueueModel | null,
    registry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    browser: IDefaultFileBrowser | null
  ): Promise<void> => {
    let settings: ISettingRegistry.ISettings | null = null;
    try {
      settings = registry ? await registry.load(SETTINGS_ID) : null;
    } catch (error) {
      console.warn('PerQueue Lab: settings could not be loaded, the builder uses defaults.', error);
    }
    let current = builderSettings(settings);
    settings?.changed.connect(() => {
      current = builderSettings(settings);
    });

    app.docRegistry.addFileType({
      name: DEFINITION_FILE_TYPE,
      displayName: 'PerQueue Workflow Definition',
      extensions: ['.pqwf.json', '.pqwf'],
      mimeTypes: ['application/json'],
      contentType: 'file',
      fileFormat: 'text',
      icon: workflowIcon
    });

    const tracker = new WidgetTracker<DocumentWidget<WorkflowBuilder>>({ namespace: 'perqueue-builder' });
    const factory = new BuilderFactory(
      {
        name: BUILDER_FACTORY,
        label: 'Workflow Builder',
        fileTypes: [DEFINITION_FILE_TYPE, 'json'],
        defaultFor: [DEFINITION_FILE_TYPE],
        modelName: 'text'
      },
      context =>
        new WorkflowBuilder({
          context,
          contents: app.serviceManager.contents,
          manager,
          perqueue,
          commands: app.commands,
          settings: () => current,
          serverRoot: PageConfig.getOption('serverRoot')
        }),
      app.commands
    );
    factory.widgetCreated.connect((_, widget) => {
      widget.context.pathChanged.connect(() => void tracker.save(widget));
      void tracker.add(widget);
    });
    addDocumentFactory(app, factory, tracker, restorer);

    const builder = () => tracker.currentWidget?.content ?? null;
    for (const command of BUILDER_COMMANDS) {
      app.commands.addCommand(command.id, {
        label: command.label,
        caption: command.caption,
        isEnabled: () => {
          const b = builder();
          return !!b && command.enabled(b);
        },
        execute: async () => {
          const b = builder();
          if (b) {
            await command.run(b);
          }
        }
      });
      palette?.addItem({ command: command.id, category: 'PerQueue Builder' });
    }
    tracker.currentChanged.connect(() => app.commands.notifyCommandChanged());

    app.commands.addCommand(CommandIDs.newDefinition, {
      label: args => (args.isLauncher ? 'Workflow Definition' : 'New PerQueue Workflow Definition'),
      caption: 'Draw a PerQueue workflow in the graphical builder',
      icon: args => (args.isPalette ? undefined : workflowIcon),
      execute: async args => {
        const cwd = typeof args.cwd === 'string' ? args.cwd : (browser?.model.path ?? '');
        try {
          const created = await app.serviceManager.contents.newUntitled({ path: cwd, type: 'file', ext: '.pqwf.json' });
          const name = created.name.replace(/\.pqwf\.json$/, '');
          await app.serviceManager.contents.save(created.path, {
            type: 'file',
            format: 'text',
            content: JSON.stringify(blankDefinition(name), null, 2) + '\n'
          });
          return app.commands.execute('docmanager:open', { path: created.path, factory: BUILDER_FACTORY });
        } catch (error) {
          Notification.error(`Creating a workflow definition failed: ${(error as Error).message ?? error}`, {
            autoClose: 8000
          });
        }
      }
    });
    palette?.addItem({ command: CommandIDs.newDefinition, category: 'PerQueue' });
    launcher?.add({ command: CommandIDs.newDefinition, category: 'PerQueue', rank: 1 });
  }
};
