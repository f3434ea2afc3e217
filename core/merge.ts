// Data passing: how the outputs of several parents become one child's input.
// The rule (PerQueue's, kept for compatibility, see docs/semantics.md):
//  - a key that one parent returns reaches the child as that value;
//  - a key that several parents return with equal values reaches it as that one value;
//  - a key that several parents return with different values reaches it as an object
//    { "<parent entry id>": value, ... } in the order the parents are given (`order` keeps it:
//    a JSON object's integer-like keys always come out in ascending order).
// Keys that differ are also reported so that groups reading a control key can refuse them.
import { TAG } from './codec.js';
import { INDEX_KW, ITER_KW } from './constants.js';
import type { Json, JsonObject } from './spec.js';

export interface ParentOutput {
  id: number;
  data: JsonObject;
}

export interface Merged {
  data: JsonObject;
  /** Keys whose values differed and were gathered into an object keyed by parent id. */
  gathered: Set<string>;
  /** For each gathered key, the parent ids in the order given. */
  order: Map<string, number[]>;
}

/**
 * JSON text with sorted keys: two values are equal when their canonical texts are. Numbers
 * compare as Python compares them, as PerQueue decides whether parents agree: True == 1,
 * 2 == 2.0 (a float tag of the codec), 0.0 == -0.0.
 */
function canonicalJson(v: Json | undefined): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return JSON.stringify(v); // -0 writes as 0
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v[TAG] === 'float' && Object.keys(v).length === 2) {
    if (typeof v.value === 'number') return JSON.stringify(v.value);
    if (v.value === '-0.0') return '0';
  }
  const keys = Object.keys(v).sort();
  return `{${keys.map(k => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
}

/** Merge in id order, or in the order given when `keepOrder` (PerQueue's order of a join). */
export function mergeParentData(parents: ParentOutput[], keepOrder = false): Merged {
  const ordered = keepOrder ? parents : [...parents].sort((a, b) => a.id - b.id);
  const byKey = new Map<string, { id: number; value: Json }[]>();
  for (const p of ordered) {
    for (const [k, value] of Object.entries(p.data)) {
      let list = byKey.get(k);
      if (!list) byKey.set(k, (list = []));
      list.push({ id: p.id, value });
    }
  }
  const data: JsonObject = {};
  const gathered = new Set<string>();
  const order = new Map<string, number[]>();
  for (const [k, list] of byKey) {
    if (list.length === 1) {
      data[k] = list[0].value;
      continue;
    }
    const first = canonicalJson(list[0].value);
    if (list.every(x => canonicalJson(x.value) === first)) {
      data[k] = list[0].value;
      continue;
    }
    const obj: JsonObject = {};
    for (const x of list) obj[String(x.id)] = x.value;
    data[k] = obj;
    gathered.add(k);
    order.set(
      k,
      list.map(x => x.id)
    );
  }
  return { data, gathered, order };
}

/** A copy without the given keys. */
export function without(data: JsonObject, ...keys: string[]): JsonObject {
  const out: JsonObject = { ...data };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * The keyword arguments an entry is called with: its own args, overlaid with its parents' merged
 * data, plus its place in width groups and loops. The engine builds a run's input with this, and
 * the details views show it for every state, so both agree.
 */
export function receivedKwargs(
  args: JsonObject | null | undefined,
  parentData: JsonObject,
  index: readonly number[],
  iteration: readonly number[]
): JsonObject {
  const kwargs: JsonObject = { ...(args ?? {}), ...parentData };
  if (index.length > 0) kwargs[INDEX_KW] = [...index];
  if (iteration.length > 0) kwargs[ITER_KW] = [...iteration];
  return kwargs;
}
