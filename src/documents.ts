// What every document view of the extension (archives, workflow definitions) does to be opened
// by JupyterLab: its factory is registered and the documents open at the end of the last
// session come back.
import type { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import type { WidgetTracker } from '@jupyterlab/apputils';
import type { ABCWidgetFactory, DocumentWidget } from '@jupyterlab/docregistry';

/** Registers `factory` and reopens, through it, the documents `tracker` saved. */
export function addDocumentFactory<T extends DocumentWidget>(
  app: JupyterFrontEnd,
  factory: ABCWidgetFactory<T>,
  tracker: WidgetTracker<T>,
  restorer: ILayoutRestorer | null
): void {
  app.docRegistry.addWidgetFactory(factory);
  if (restorer) {
    void restorer.restore(tracker, {
      command: 'docmanager:open',
      args: widget => ({ path: widget.context.path, factory: factory.name }),
      name: widget => widget.context.path
    });
  }
}
