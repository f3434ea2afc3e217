// A manual step's notebook: the person works in a copy made for that entry, with the entry's
// inputs in a parameters cell injected as papermill does (tag `injected-parameters`, after the
// cell tagged `parameters`). The cell's text follows docs/contracts.md §6, the same as the
// Python runner's for notebook tasks (perqueue_lab/notebooks.py).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Json, JsonObject } from '../../core/spec.js';

const HEADER = '# Parameters injected by PerQueue Lab';
const DECODE_IMPORT = 'from perqueue_lab.codec import decode as pq_decode';

/** Python source for a JSON value (JSON strings and numbers are Python literals as they are). */
export function pythonLiteral(v: Json): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number' || typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pythonLiteral).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pythonLiteral(x)}`).join(', ')}}`;
}

function hasCodecTag(v: Json): boolean {
  if (Array.isArray(v)) return v.some(hasCodecTag);
  if (v && typeof v === 'object') return '__pq__' in v || Object.values(v).some(hasCodecTag);
  return false;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);

/** The injected cell's text for inputs already in the codec's JSON form. */
export function injectedSource(params: JsonObject, entryId: number): string {
  const body: string[] = [];
  const entries: string[] = [];
  let decode = false;
  for (const [name, value] of Object.entries(params)) {
    const source = hasCodecTag(value) ? `pq_decode(${pythonLiteral(value)})` : pythonLiteral(value);
    decode ||= source.startsWith('pq_decode(');
    if (IDENTIFIER.test(name) && !PY_KEYWORDS.has(name)) {
      body.push(`${name} = ${source}`);
      entries.push(`${JSON.stringify(name)}: ${name}`);
    } else {
      entries.push(`${JSON.stringify(name)}: ${source}`);
    }
  }
  return [HEADER, ...(decode ? [DECODE_IMPORT] : []), ...body, `pq_entry_id = ${entryId}`, `pq_params = {${entries.join(', ')}}`, ''].join('\n');
}

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[] } & Record<string, unknown>;
  [k: string]: unknown;
}

/** A copy of the notebook with the injected cell (an earlier injected cell is replaced). */
export function injectParameters(nb: { cells: Cell[] } & Record<string, unknown>, params: JsonObject, entryId: number) {
  const cells = nb.cells.filter((c) => !(c.metadata?.tags ?? []).includes('injected-parameters'));
  const at = cells.findIndex((c) => (c.metadata?.tags ?? []).includes('parameters'));
  const cell: Cell = {
    cell_type: 'code',
    id: 'pq-injected-parameters',
    metadata: { tags: ['injected-parameters'] },
    execution_count: null,
    outputs: [],
    source: injectedSource(params, entryId),
  };
  cells.splice(at + 1, 0, cell);
  return { ...nb, cells };
}

/**
 * Make (once per attempt) the entry's copy of its notebook under `<project>/human-steps/`, where
 * JupyterLab's file browser shows it. Returns the path relative to the project folder.
 */
export function prepareManualNotebook(projectRoot: string, source: string, params: JsonObject, entry: { id: number; workflowId: number; attempt: number; name: string }): string {
  const safeName = entry.name.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const dest = join(projectRoot, 'human-steps', `wf${entry.workflowId}-entry${entry.id}-${safeName}-a${entry.attempt}.ipynb`);
  if (!existsSync(dest)) {
    let nb: { cells: Cell[] } & Record<string, unknown>;
    try {
      nb = JSON.parse(readFileSync(source, 'utf8'));
    } catch (e) {
      throw new Error(`the notebook '${source}' of entry ${entry.id} cannot be read: ${(e as Error).message}`);
    }
    if (!Array.isArray(nb.cells)) throw new Error(`'${source}' is not a Jupyter notebook (no cells)`);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(`${dest}.tmp`, JSON.stringify(injectParameters(nb, params, entry.id), null, 1));
    renameSync(`${dest}.tmp`, dest);
  }
  return relative(projectRoot, dest);
}
