// The question a workflow command asks when nothing chose its workflow (no argument, no
// right-clicked item, no current panel): which one of the project's, listed as `#id name`.
import { InputDialog, Notification } from '@jupyterlab/apputils';

import type { IPerQueueModel } from '../tokens';

/**
 * The id of the workflow picked in a dialog titled `title`; undefined when the dialog is
 * cancelled, or when the project has no workflow, which `noneYet` then says.
 */
export async function pickWorkflow(
  model: IPerQueueModel,
  title: string,
  noneYet = 'No PerQueue workflow in this project yet.'
): Promise<number | undefined> {
  const items = model.workflows.map(w => `#${w.id} ${w.name}`);
  if (!items.length) {
    Notification.info(noneYet, { autoClose: 4000 });
    return undefined;
  }
  const choice = await InputDialog.getItem({ title, items });
  if (!choice.button.accept || !choice.value) {
    return undefined;
  }
  return Number(/^#(\d+)/.exec(choice.value)?.[1]);
}
