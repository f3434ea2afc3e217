// The sizes the bridge accepts, in one place (documented in docs/contracts.md, "Limits").
// Each bounds something a user, a task or another program hands the bridge, so that hostile or
// mistaken input gets a clear error instead of a stack overflow or an out-of-memory daemon.

/** Deepest nesting of objects and arrays in JSON the bridge reads: request bodies, task outputs. */
export const MAX_JSON_DEPTH = 256;

/**
 * Widest StaticWidthGroup or DynamicWidthGroup (columns of one group). Measured in
 * bench/engine.ts: a group this wide compiles and stores in one transaction and the bridge
 * holds it in about 0.7 GB; wider would outgrow a workstation's bridge.
 */
export const MAX_GROUP_WIDTH = 1_000_000;

/**
 * Most entries one workflow may hold, counting every group's columns and iterations: a group
 * of the widest width plus room for the tasks around it.
 */
export const MAX_WORKFLOW_ENTRIES = 1_100_000;

/** Largest request body the bridge reads. */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** Most log lines one request returns, and the most bytes it reads from the end of the file. */
export const MAX_LOG_LINES = 100_000;
export const MAX_LOG_BYTES = 8 * 1024 * 1024;

/**
 * Where JSON text nests deeper than `max` (the path of the first too-deep value, e.g.
 * `$.a[0].b`, shortened), or null. One pass over the text without parsing it: the point is to
 * refuse before a parser or a recursive walk meets the nesting.
 */
export function jsonNestingProblem(text: string, max = MAX_JSON_DEPTH): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return `the JSON nests deeper than ${max} levels (at character ${i})`;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return null;
}

/** Whether a JavaScript value nests objects/arrays deeper than `max`; iterative, so any depth is safe. */
export function nestsDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
    }
  }
  return false;
}
