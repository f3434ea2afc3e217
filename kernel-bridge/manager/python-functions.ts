// Whether a Python script defines a function at top level, told from its text at submission, so
// that `Task(..., func="relax")` naming a function the script lacks fails before anything runs.
// Only certain answers count: when the script could make the name in a way text cannot follow
// (star imports, globals(), exec), the check says nothing and the runner reports it at run time.
import { readFileSync } from 'node:fs';

/** Names bound at the top level of a Python module's text: def, class, assignment, import. */
export function topLevelNames(source: string): { names: Set<string>; dynamic: boolean } {
  const names = new Set<string>();
  let dynamic = /\bimport\s+\*|\bglobals\s*\(|\bexec\s*\(|\bsetattr\s*\(|__getattr__/.test(source);
  for (const line of source.split('\n')) {
    if (/^\s/.test(line) || line.startsWith('#')) continue; // indented: not top level
    let m = /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/.exec(line);
    if (m) {
      names.add(m[1]);
      continue;
    }
    m = /^from\s+\S+\s+import\s+\(?(.*?)\)?\s*(?:#.*)?$/.exec(line);
    if (m) {
      if (m[1].trim().endsWith('(') || m[1].trim() === '') dynamic = true; // a multi-line import list
      for (const part of m[1].split(',')) {
        const alias = /(?:\w+\s+as\s+)?([A-Za-z_]\w*)\s*$/.exec(part.trim());
        if (alias) names.add(alias[1]);
      }
      continue;
    }
    m = /^import\s+(.*?)\s*(?:#.*)?$/.exec(line);
    if (m) {
      for (const part of m[1].split(',')) {
        const alias = /^([\w.]+)(?:\s+as\s+([A-Za-z_]\w*))?$/.exec(part.trim());
        if (alias) names.add(alias[2] ?? alias[1].split('.')[0]);
      }
      continue;
    }
    // Assignments, also chained and annotated: `relax = run = make()`, `relax: Callable = ...`.
    const assigned = /^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=]*)?=(?!=)/.exec(line);
    if (assigned) {
      for (const target of line.split(/=(?!=)/).slice(0, -1)) {
        for (const n of target.replace(/:.*$/, '').split(',')) if (/^\s*[A-Za-z_]\w*\s*$/.test(n)) names.add(n.trim());
      }
    }
  }
  return { names, dynamic };
}

/** Why `func` cannot be called in the script at `code`, or null when it can or text cannot tell. */
export function pythonFunctionProblem(code: string, func: string): string | null {
  let source: string;
  try {
    source = readFileSync(code, 'utf8');
  } catch {
    return null; // a missing script is reported on its own field
  }
  const { names, dynamic } = topLevelNames(source);
  if (names.has(func) || dynamic) return null;
  // Bound inside a block (`try: from fast import relax`, `if GPU: def relax(...)`): text cannot tell.
  const escaped = func.replace(/[$]/g, '\\$&');
  if (
    new RegExp(
      `^\\s+(?:(?:async\\s+)?def\\s+${escaped}\\b|${escaped}\\s*=[^=]|.*\\bimport\\b.*\\b${escaped}\\b)`,
      'm'
    ).test(source)
  )
    return null;
  const defined = [...source.matchAll(/^(?:async\s+)?def\s+([A-Za-z_]\w*)/gm)].map(m => m[1]);
  return `the script '${code}' defines no function '${func}' (functions it defines: ${defined.join(', ') || 'none'})`;
}
