// Opens (or brings forward) the full-log panel of an entry in the main area.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';

import { IPerQueueModel, PerQueue } from '../tokens';
import { perqueueGraphIcon } from '../ui/icons';
import type { LogStream } from './follower';
import { FullLogView } from './view';

export function openFullLog(
  app: JupyterFrontEnd,
  model: IPerQueueModel,
  node: PerQueue.Node,
  stream?: LogStream
): MainAreaWidget<FullLogView> {
  const id = `perqueue-log-${node.id}`;
  for (const widget of app.shell.widgets('main')) {
    if (widget.id === id && widget instanceof MainAreaWidget) {
      const existing = widget as MainAreaWidget<FullLogView>;
      if (stream) {
        existing.content.showStream(stream);
      }
      app.shell.activateById(id);
      return existing;
    }
  }
  const content = new FullLogView({ model, entryId: node.id, name: node.name, stream });
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.addClass('jp-PerQueue-fullLog-widget');
  widget.title.label = `Log: ${node.name} #${node.id}`;
  widget.title.caption = `The stdout and stderr of ${node.name} (entry #${node.id} of workflow #${node.workflowId}), followed while it runs`;
  widget.title.icon = perqueueGraphIcon;
  widget.title.closable = true;
  // Another project's entries are other entries: their logs close with the project.
  const onProject = () => widget.dispose();
  model.projectChanged.connect(onProject);
  widget.disposed.connect(() => model.projectChanged.disconnect(onProject));
  app.shell.add(widget, 'main');
  app.shell.activateById(id);
  return widget;
}
