// The "PerQueue archive" viewer: .sqlite/.db files open as a list of their workflows and a
// read-only graph, read in the browser (sql.js in a worker), with no bridge involved.
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { ABCWidgetFactory, DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { addDocumentFactory } from '../documents';
import { DEFAULT_GRAPH_SETTINGS, type IGraphSettings } from '../graph';
import { ARCHIVE_EXTENSION } from './problems';
import { ArchiveView } from './view';

export const ARCHIVE_FACTORY = 'PerQueue Archive';
const ARCHIVE_FILE_TYPE = 'perqueue-archive';
/** Files written by `pql export` and "Export Workflow…". */
const WORKFLOW_ARCHIVE_FILE_TYPE = 'perqueue-workflow-archive';

let settingsGetter: () => IGraphSettings = () => DEFAULT_GRAPH_SETTINGS;
/** The graph settings archive views use (the user's, once the plugin has read them). */
export function archiveSettings(): () => IGraphSettings {
  return () => settingsGetter();
}

export const archiveIcon = new LabIcon({
  name: 'perqueue-lab:archive',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M12 2C7 2 4 3.6 4 5.5v13C4 20.4 7 22 12 22s8-1.6 8-3.5v-13C20 3.6 17 2 12 2zm0 2c3.9 0 6 1.1 6 1.5S15.9 7 12 7 6 5.9 6 5.5 8.1 4 12 4zM6 8.3C7.5 8.8 9.6 9 12 9s4.5-.2 6-.7V12c0 .4-2.1 1.5-6 1.5S6 12.4 6 12zm0 6.5c1.5.5 3.6.7 6 .7s4.5-.2 6-.7v3.7c0 .4-2.1 1.5-6 1.5s-6-1.1-6-1.5z"/></g></svg>'
});

class ArchiveFactory extends ABCWidgetFactory<DocumentWidget<ArchiveView>> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<DocumentWidget<ArchiveView>>,
    private readonly _settings: () => IGraphSettings,
    private readonly _walSize: (path: string) => Promise<number | null>
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.Context): DocumentWidget<ArchiveView> {
    const content = new ArchiveView({ context, settings: this._settings, walSize: this._walSize });
    const widget = new DocumentWidget({ content, context });
    widget.addClass('jp-PerQueue-archive-widget');
    widget.title.icon = archiveIcon;
    return widget;
  }
}

export const archivePlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:archive',
  description: 'Opens archived PerQueue databases (.sqlite, .db) read-only in the browser, with no bridge.',
  autoStart: true,
  optional: [ISettingRegistry, ILayoutRestorer],
  activate: async (
    app: JupyterFrontEnd,
    registry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ): Promise<void> => {
    let settings: ISettingRegistry.ISettings | null = null;
    try {
      settings = registry ? await registry.load('perqueue-lab:plugin') : null;
    } catch {
      settings = null;
    }
    const current = (): IGraphSettings => {
      const get = <T>(key: string, fallback: T): T => (settings?.get(key).composite as T | undefined) ?? fallback;
      return {
        ...DEFAULT_GRAPH_SETTINGS,
        collapseWidthAbove: get('collapseWidthAbove', DEFAULT_GRAPH_SETTINGS.collapseWidthAbove),
        layoutDirection: get('layoutDirection', DEFAULT_GRAPH_SETTINGS.layoutDirection)
      };
    };
    settingsGetter = current;
    app.docRegistry.addFileType({
      name: WORKFLOW_ARCHIVE_FILE_TYPE,
      displayName: 'Workflow archive',
      extensions: [ARCHIVE_EXTENSION],
      mimeTypes: ['application/vnd.sqlite3'],
      contentType: 'file',
      fileFormat: 'base64',
      icon: archiveIcon
    });
    app.docRegistry.addFileType({
      name: ARCHIVE_FILE_TYPE,
      displayName: 'SQLite database (PerQueue archive)',
      extensions: ['.sqlite', '.sqlite3', '.db'],
      mimeTypes: ['application/vnd.sqlite3'],
      contentType: 'file',
      fileFormat: 'base64',
      icon: archiveIcon
    });
    const factory = new ArchiveFactory(
      {
        name: ARCHIVE_FACTORY,
        label: 'PerQueue Archive',
        fileTypes: [WORKFLOW_ARCHIVE_FILE_TYPE, ARCHIVE_FILE_TYPE],
        defaultFor: [WORKFLOW_ARCHIVE_FILE_TYPE, ARCHIVE_FILE_TYPE],
        modelName: 'base64',
        readOnly: true
      },
      current,
      // A write-ahead log beside a database holds what a plain copy of it misses.
      async path => {
        try {
          const wal = await app.serviceManager.contents.get(`${path}-wal`, { content: false });
          return typeof wal.size === 'number' ? wal.size : 1;
        } catch {
          return null;
        }
      }
    );
    const tracker = new WidgetTracker<DocumentWidget<ArchiveView>>({ namespace: 'perqueue-archive' });
    factory.widgetCreated.connect((_, widget) => void tracker.add(widget));
    addDocumentFactory(app, factory, tracker, restorer);
  }
};
