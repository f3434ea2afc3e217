// How workflow node ids are made from display names. The TypeScript builder (core/builder.ts),
// the graphical builder (src/builder/document.ts) and the Python builder
// (perqueue_lab/task_classes/task_groups.py) all follow it, checked against one table:
// tests/fixtures/node-ids/cases.json.

/**
 * Ids for nodes with the given display names, in the same order: a name is its own id the
 * first time it comes, later ones get -2, -3, ... (skipping any id already taken, so the
 * result never repeats).
 */
export function uniqueIds(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map(name => {
    let candidate = name;
    for (let k = 2; used.has(candidate); k++) candidate = `${name}-${k}`;
    used.add(candidate);
    return candidate;
  });
}

/**
 * A task's name when none is given: the file name of its script once the path is made plain
 * (PerQueue's `Path(code).resolve().name`; core reads no links, so only `.` and `..` are undone).
 */
export function scriptName(code: string): string {
  const parts: string[] = [];
  for (const part of code.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return parts.at(-1) ?? '';
}

/** A task's display name: the one given, else (also for an empty one, as PerQueue) its script's. */
export function taskName(given: string | null | undefined, code: string): string {
  return given || scriptName(code);
}
