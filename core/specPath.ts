// How a place in a workflow spec is named: in SpecError's `node`, in the engine's error
// reports, and as the key of a drawn item (and its saved position) in the graphical builder.
// `root` is the document's root node; below a node, `<id>` is an item of a workflow, `body` the
// body of a group, `branch:<key>` a branch of a SwitchGroup. Ids and keys may hold any text, so
// `%` and `/` in them are written `%25` and `%2F`: every path names one place.
// Cases: tests/fixtures/spec-paths/cases.json.
import type { NodeSpec } from './spec.js';

export const ROOT_PATH = 'root';
const BRANCH = 'branch:';

function escapeSegment(text: string): string {
  return text.replace(/%/g, '%25').replace(/\//g, '%2F');
}

function unescapeSegment(text: string): string {
  return text.replace(/%2F/g, '/').replace(/%25/g, '%');
}

/** The path of the item `id` of the workflow at `workflowPath`. */
export function itemPath(workflowPath: string, id: string): string {
  return `${workflowPath}/${escapeSegment(id)}`;
}

/** The path of the body of the group at `groupPath`. */
export function bodyPath(groupPath: string): string {
  return `${groupPath}/body`;
}

/** The path of the branch `key` of the SwitchGroup at `switchPath`. */
export function branchPath(switchPath: string, key: string): string {
  return `${switchPath}/${BRANCH}${escapeSegment(key)}`;
}

/** One step of a path, as written (still escaped). */
type Step = { kind: 'item'; id: string } | { kind: 'body' } | { kind: 'branch'; key: string };

/** The segments below `root`, or null when the path does not start at `root`. */
function segments(path: string): string[] | null {
  const parts = path.split('/');
  return parts[0] === ROOT_PATH ? parts.slice(1) : null;
}

/** What a segment means read from `node` (an item of a workflow may be called `body`). */
function stepFrom(node: NodeSpec, segment: string): Step | null {
  if (segment === 'body' && 'body' in node) return { kind: 'body' };
  if (node.kind === 'switch' && segment.startsWith(BRANCH))
    return { kind: 'branch', key: unescapeSegment(segment.slice(BRANCH.length)) };
  if (node.kind === 'workflow') return { kind: 'item', id: unescapeSegment(segment) };
  return null;
}

/** The spec node a path names under `root`, or undefined when there is none. */
export function nodeAtPath(root: NodeSpec, path: string): NodeSpec | undefined {
  const parts = segments(path);
  if (!parts) return undefined;
  let node: NodeSpec | undefined = root;
  for (const segment of parts) {
    const step: Step | null = node ? stepFrom(node, segment) : null;
    if (!node || !step) return undefined;
    if (step.kind === 'body') node = (node as { body: NodeSpec }).body;
    else if (step.kind === 'branch') node = (node as { branches: Record<string, NodeSpec> }).branches[step.key];
    else node = (node as { nodes: { id: string; node: NodeSpec }[] }).nodes.find(n => n.id === step.id)?.node;
  }
  return node;
}

/**
 * Each workflow item along a path, outermost first: the path of its workflow and its id there.
 * `isWorkflow` says which prefixes of the path are workflows (the caller knows the tree).
 */
export function itemsAlong(path: string, isWorkflow: (path: string) => boolean): { workflow: string; id: string }[] {
  const parts = path.split('/');
  const out: { workflow: string; id: string }[] = [];
  for (let i = 1; i < parts.length; i++) {
    const workflow = parts.slice(0, i).join('/');
    if (isWorkflow(workflow)) out.push({ workflow, id: unescapeSegment(parts[i]) });
  }
  return out;
}

/** The SwitchGroup and key of a branch's path, or null when the path names no branch. */
export function splitBranchPath(path: string): { switchPath: string; key: string } | null {
  const cut = path.lastIndexOf(`/${BRANCH}`);
  if (cut < 0 || path.includes('/', cut + 1)) return null;
  return { switchPath: path.slice(0, cut), key: unescapeSegment(path.slice(cut + 1 + BRANCH.length)) };
}

/**
 * The same path as written before ids and keys were escaped (`root/fit/relax` for
 * `root/fit%2Frelax`), so positions saved under it are still found.
 */
export function unescapedPath(path: string): string {
  return path.split('/').map(unescapeSegment).join('/');
}
