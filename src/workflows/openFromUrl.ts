// Opening a workflow's graph from the page address: `/lab?perqueue-open=latest` (or a workflow
// id) opens the Workflows sidebar and that workflow's graph once JupyterLab has started. The
// start script's address, /perqueue/open, redirects there so the first screen shows the example
// workflow running.
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

import { CommandIDs, IPerQueueModel } from '../tokens';

const PARAMETER = 'perqueue-open';

/** The workflow to open: a positive id, 'latest', or null when the page asks for none. */
function requestedWorkflow(search: string): number | 'latest' | null {
  const value = new URLSearchParams(search).get(PARAMETER);
  if (value === null) {
    return null;
  }
  if (value === 'latest' || value === '') {
    return 'latest';
  }
  return /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

export const openFromUrlPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:open-from-url',
  description: 'Opens a workflow graph named in the page address.',
  autoStart: true,
  requires: [IPerQueueModel],
  activate: (app: JupyterFrontEnd, model: IPerQueueModel): void => {
    const wanted = requestedWorkflow(window.location.search);
    if (wanted === null) {
      return;
    }
    void app.restored.then(async () => {
      await app.commands.execute(CommandIDs.openSidebar);
      for (let i = 0; i < 100 && model.workflows.length === 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 100));
      }
      const ids = model.workflows.map(w => w.id);
      const workflowId = wanted === 'latest' ? Math.max(...ids) : wanted;
      if (ids.includes(workflowId)) {
        await app.commands.execute(CommandIDs.openWorkflow, { workflowId });
      }
    });
  }
};
