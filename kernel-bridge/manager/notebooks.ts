// A manual step's notebook: the person works in a copy made for that entry, with the entry's
// inputs in a parameters cell injected as papermill does (tag `injected-parameters`, after the
// cell tagged `parameters`). The cell's text follows docs/contracts.md §6, the same as the
// Python runner's for notebook tasks (perqueue_lab/notebooks.py).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Json, JsonObject } from '../../core/spec.js';

const HEADER = '# Parameters injected by PerQueue Lab';
const DECODE_IMPORT = 'from perqueue_lab.codec import decode as pq_decode';

// Characters Python's repr() escapes: str.isprintable() is false for categories C* and Z*
// except the ASCII space.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const NAMED_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** What Python's repr() writes for a string, so both languages inject the same text. */
function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote) out += `\\${ch}`;
    else if (NAMED_ESCAPES[ch]) out += NAMED_ESCAPES[ch];
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch))
      out += code < 0x100 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Python source for a JSON value, as Python's repr() writes it (docs/contracts.md §6). */
function pythonLiteral(v: Json): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pythonNumber(v);
  if (typeof v === 'string') return pythonStringRepr(v);
  if (Array.isArray(v)) return `[${v.map(pythonLiteral).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${pythonStringRepr(k)}: ${pythonLiteral(x)}`)
    .join(', ')}}`;
}

/** A number as Python's repr() writes it (exponents with two digits at least: 1e-07). */
function pythonNumber(n: number): string {
  return JSON.stringify(n).replace(/e([+-])(\d)$/, (_, sign: string, digit: string) => `e${sign}0${digit}`);
}

function hasCodecTag(v: Json): boolean {
  if (Array.isArray(v)) return v.some(hasCodecTag);
  if (v && typeof v === 'object') return '__pq__' in v || Object.values(v).some(hasCodecTag);
  return false;
}

// Python's str.isidentifier(): Unicode names such as `λ` are variables too.
const IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;
const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' '
  )
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
      entries.push(`${pythonStringRepr(name)}: ${name}`);
    } else {
      entries.push(`${pythonStringRepr(name)}: ${source}`);
    }
  }
  return [
    HEADER,
    ...(decode ? [DECODE_IMPORT] : []),
    ...body,
    `pq_entry_id = ${entryId}`,
    `pq_params = {${entries.join(', ')}}`,
    ''
  ].join('\n');
}

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[] } & Record<string, unknown>;
  [k: string]: unknown;
}

/** A copy of the notebook with the injected cell (an earlier injected cell is replaced). */
function injectParameters(nb: { cells: Cell[] } & Record<string, unknown>, params: JsonObject, entryId: number) {
  const cells = nb.cells.filter(c => !(c.metadata?.tags ?? []).includes('injected-parameters'));
  const at = cells.findIndex(c => (c.metadata?.tags ?? []).includes('parameters'));
  const cell: Cell = {
    cell_type: 'code',
    id: 'pq-injected-parameters',
    metadata: { tags: ['injected-parameters'] },
    execution_count: null,
    outputs: [],
    source: injectedSource(params, entryId)
  };
  cells.splice(at + 1, 0, cell);
  return { ...nb, cells };
}

/**
 * Make (once per attempt) the entry's copy of its notebook under `<project>/human-steps/`, where
 * JupyterLab's file browser shows it. Returns the path relative to the project folder.
 */
export function prepareManualNotebook(
  projectRoot: string,
  source: string,
  params: JsonObject,
  entry: { id: number; workflowId: number; attempt: number; name: string }
): string {
  const safeName = entry.name.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const dest = join(
    projectRoot,
    'human-steps',
    `wf${entry.workflowId}-entry${entry.id}-${safeName}-a${entry.attempt}.ipynb`
  );
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
