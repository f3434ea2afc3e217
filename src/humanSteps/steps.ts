// Human steps, the pure part: which notebook is a step's copy and for which entry (read from the
// injected parameters cell, docs/contracts.md §6), where the copy is for the Jupyter server,
// what a person typed as a result, and how a waiting step is described. No DOM, no server.

import type { PerQueue } from '../tokens';

/** The folder of the project where the bridge writes the steps' notebook copies. */
const HUMAN_STEPS_FOLDER = 'human-steps';
/** The tag of the cell holding an entry's inputs (papermill's name). */
const INJECTED_TAG = 'injected-parameters';
/** First line of the injected cell's source. */
const INJECTED_HEADER = '# Parameters injected by PerQueue Lab';

/** The little of a notebook cell this module reads (nbformat's JSON, or a cell model's view of it). */
export interface ICellLike {
  cell_type: string;
  source: string | readonly string[];
  metadata?: { tags?: unknown } & Record<string, unknown>;
}

export interface IInjectedParameters {
  entryId: number;
  /** `pq_project` when the copy lives outside the project, else null. */
  project: string | null;
}

function sourceOf(cell: ICellLike): string {
  return typeof cell.source === 'string' ? cell.source : cell.source.join('');
}

function tagsOf(cell: ICellLike): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * The value of a Python string literal as `repr` writes it ('...' or "..." with backslash
 * escapes), or null when the text is something else.
 */
export function pythonString(literal: string): string | null {
  const text = literal.trim();
  const quote = text[0];
  if ((quote !== "'" && quote !== '"') || text.length < 2 || text[text.length - 1] !== quote) {
    return null;
  }
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i];
    if (c === quote) {
      return null; // an unescaped quote: not one literal
    }
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === 'x' || next === 'u' || next === 'U') {
      const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = text.slice(i + 1, i + 1 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) {
        return null;
      }
      out += String.fromCodePoint(parseInt(hex, 16));
      i += width;
    } else if (next in escapes) {
      out += escapes[next];
    } else {
      out += '\\' + next;
    }
  }
  return out;
}

/** Reads `pq_entry_id = N` (and `pq_project = '...'`) from one cell's source; null when absent. */
function parseInjectedSource(source: string): IInjectedParameters | null {
  const id = /^pq_entry_id\s*=\s*(\d+)\s*(#.*)?$/m.exec(source);
  if (!id) {
    return null;
  }
  const project = /^pq_project\s*=\s*(.+?)\s*$/m.exec(source);
  return { entryId: Number(id[1]), project: project ? pythonString(project[1]) : null };
}

/**
 * The step a notebook was prepared for: the cell tagged `injected-parameters`, else a code cell
 * that starts with the injected header (a copy whose tags were lost). Null for other notebooks.
 */
export function readInjectedParameters(cells: ReadonlyArray<ICellLike>): IInjectedParameters | null {
  const code = cells.filter(c => c.cell_type === 'code');
  const tagged = code.filter(c => tagsOf(c).includes(INJECTED_TAG));
  const headed = code.filter(c => sourceOf(c).trimStart().startsWith(INJECTED_HEADER));
  for (const cell of [...tagged, ...headed]) {
    const found = parseInjectedSource(sourceOf(cell));
    if (found) {
      return found;
    }
  }
  return null;
}

/** Whether a path (relative to the Jupyter server's root) is in a `human-steps` folder. */
export function isHumanStepPath(path: string): boolean {
  return path.split('/').slice(0, -1).includes(HUMAN_STEPS_FOLDER);
}

/**
 * The project a step's notebook copy belongs to, from its path below the server's root: the
 * folder holding `human-steps/` ('' for the root). Null for a notebook elsewhere.
 */
export function projectOfStepPath(path: string): string | null {
  const parts = path.split('/').filter(Boolean);
  const at = parts.lastIndexOf(HUMAN_STEPS_FOLDER);
  return at >= 0 && at === parts.length - 2 ? parts.slice(0, at).join('/') : null;
}

function normalise(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/**
 * Where a file of the project (a path relative to it, as the bridge returns) is for the Jupyter
 * server's contents API: relative to the server's root. When either folder is unknown they are
 * taken to be the same (the usual set-up); null when the file is outside the server's root.
 */
export function serverPath(projectPath: string, projectDir?: string | null, serverRoot?: string | null): string | null {
  if (!projectDir || !serverRoot) {
    return normalise(projectPath);
  }
  if (serverRoot.startsWith('~')) {
    // A root written with `~` cannot be compared with the project's absolute path.
    return normalise(projectPath);
  }
  const absolute = normalise(`${projectDir}/${projectPath}`);
  const root = normalise(serverRoot);
  if (root === '') {
    return absolute;
  }
  if (absolute === root) {
    return '';
  }
  return absolute.startsWith(root + '/') ? absolute.slice(root.length + 1) : null;
}

type ParsedResult = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** A result typed by a person: a JSON object (empty text means `{}`). */
export function parseResult(text: string): ParsedResult {
  if (!text.trim()) {
    return { ok: true, value: {} };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    return { ok: false, error: `The result must be a JSON object ({"key": value, …}), not ${kind}.` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** One item of GET /api/approvals (the shape is the client's). */
export type IApproval = PerQueue.Approval;

/** Oldest waiting first, then by entry id. */
export function sortApprovals(items: ReadonlyArray<IApproval>): IApproval[] {
  const since = (a: IApproval) => a.node.startedAt ?? a.node.createdAt ?? 0;
  return [...items].sort((a, b) => since(a) - since(b) || a.node.id - b.node.id);
}

/** "label [2] #3": the step's name with its column and iteration. */
export function stepLabel(node: IApproval['node']): string {
  let label = node.name;
  if (node.index?.length) {
    label += ` [${node.index.join(',')}]`;
  }
  if (node.iteration?.length) {
    label += ` #${node.iteration.join('.')}`;
  }
  return label;
}

/** Milliseconds (or seconds, as some stores write) since the epoch, as milliseconds. */
function millis(value: number): number {
  return value < 1e12 ? value * 1000 : value;
}

/** "in 4 min", "in 20 s", "now": how long until a step's timeout applies its default. */
export function timeLeft(deadline: number | null | undefined, now: number): string | null {
  if (deadline === null || deadline === undefined || !Number.isFinite(deadline) || deadline <= 0) {
    return null;
  }
  const seconds = Math.round((millis(deadline) - now) / 1000);
  if (seconds <= 0) {
    return 'now';
  }
  if (seconds < 90) {
    return `in ${seconds} s`;
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) {
    return `in ${minutes} min`;
  }
  return `in ${Math.round(minutes / 60)} h`;
}

/** What happens when the step times out or is rejected, in the person's words. */
export function outcomeText(spec: IApproval['spec']): string {
  const onReject = spec.onReject === 'fail' ? 'Reject fails the step' : 'Reject discards this branch';
  if (spec.timeout === undefined) {
    return onReject + '.';
  }
  const atTimeout = spec.default
    ? 'its default result applies'
    : spec.onReject === 'fail'
      ? 'it fails'
      : 'it is discarded';
  return `${onReject}; at the timeout ${atTimeout}.`;
}
