// Script and notebook paths in a workflow-definition document. The document stores them relative
// to its own folder (`train.py`, `sub/train.py`, `../shared/prep.py`), so a project folder can be
// moved or shared and its definitions keep working; a path that starts with `/` (written by the
// Python API, or by older versions of the builder) is absolute and used as it is. Submitting
// resolves every relative path against the document's absolute folder, as the bridge needs
// absolute paths. Pure functions: no DOM, no I/O.
import type { NodeSpec } from './spec.js';

/** `a/./b//c/../d` → `a/b/d`; keeps a leading `/`; `..` that climbs above a relative start stays. */
export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (!part || part === '.') {
      continue;
    }
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') {
        out.pop();
      } else if (!absolute) {
        out.push('..');
      }
      // Above `/` there is nothing: `/..` is `/`.
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined;
}

/** The folder of a `/`-separated path (`a/b/c.pqwf.json` → `a/b`; `c.pqwf.json` → ``). */
export function folderOf(path: string): string {
  const cut = path.replace(/\/+$/, '').lastIndexOf('/');
  if (cut < 0) {
    return '';
  }
  return cut === 0 ? '/' : path.slice(0, cut);
}

/**
 * The path of `target` seen from the folder `fromFolder`; both relative to the same root (the
 * file browser's, as the contents API names files) or both absolute.
 */
export function relativePath(fromFolder: string, target: string): string {
  const from = normalizePath(fromFolder).split('/').filter(Boolean);
  const to = normalizePath(target).split('/').filter(Boolean);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) {
    common++;
  }
  const up = from.slice(common).map(() => '..');
  return [...up, ...to.slice(common)].join('/') || '.';
}

/** What the document stores for a file the file browser names `browserPath`, seen from the document at `documentPath`. */
export function storedScriptPath(browserPath: string, documentPath: string): string {
  return relativePath(folderOf(documentPath), browserPath.replace(/^\/+/, ''));
}

/** The absolute path a stored path stands for; `documentFolder` is the document's absolute folder. */
export function resolveScriptPath(stored: string, documentFolder: string): string {
  if (stored.startsWith('/')) {
    return stored;
  }
  if (!documentFolder.startsWith('/')) {
    throw new Error(`the document's folder must be absolute to resolve '${stored}', got '${documentFolder}'`);
  }
  return normalizePath(`${documentFolder}/${stored}`);
}

/**
 * A relative path an older document may hold relative to the file browser's root rather than to
 * its own folder (`scripts/a.py` in `defs/w.pqwf.json`): the document-relative form of it.
 */
export function fromRootRelative(stored: string, documentPath: string): string {
  return storedScriptPath(normalizePath(stored), documentPath);
}

/** The script paths of a spec tree: a task's `code`, a manual step's `notebook`. */
export interface IScriptPath {
  node: { code?: string; notebook?: string };
  field: 'code' | 'notebook';
  value: string;
}

/** Every script path in a spec tree, depth first. */
export function scriptPaths(root: NodeSpec): IScriptPath[] {
  const out: IScriptPath[] = [];
  const walk = (node: NodeSpec | undefined) => {
    if (!node || typeof node !== 'object') {
      return;
    }
    switch (node.kind) {
      case 'task':
        if (typeof node.code === 'string') {
          out.push({ node, field: 'code', value: node.code });
        }
        break;
      case 'manual':
        if (typeof node.notebook === 'string') {
          out.push({ node, field: 'notebook', value: node.notebook });
        }
        break;
      case 'workflow':
        for (const child of node.nodes ?? []) {
          walk(child?.node);
        }
        break;
      case 'switch':
        for (const branch of Object.values(node.branches ?? {})) {
          walk(branch);
        }
        break;
      default:
        walk((node as { body?: NodeSpec }).body);
    }
  };
  walk(root);
  return out;
}

/** Rewrites, in place, every script path of a spec tree with `map`. */
export function mapScriptPaths(root: NodeSpec, map: (path: string) => string): void {
  for (const { node, field, value } of scriptPaths(root)) {
    node[field] = map(value);
  }
}
