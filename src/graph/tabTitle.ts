// The tab of a workflow's graph: short enough that many tabs stay readable side by side, and
// always carrying the workflow id, so two runs of the same workflow (same name) are told apart.
// The tooltip has the full name.
import { ellipsizeMiddle } from './labels';

/** Characters of the name kept in a tab; longer names are cut in the middle (ends differ most). */
export const TAB_NAME_CHARS = 32;

export function graphTabTitle(name: string, workflowId: number): { label: string; caption: string } {
  const trimmed = name.trim();
  if (!trimmed) {
    return { label: `Workflow #${workflowId}`, caption: `PerQueue workflow #${workflowId}` };
  }
  return {
    label: `${ellipsizeMiddle(trimmed, TAB_NAME_CHARS)} #${workflowId}`,
    caption: `PerQueue workflow ${trimmed} (#${workflowId})`
  };
}
