// Regular expressions from forms (JSON Schema `pattern`) run on a linear-time engine (RE2, in
// pure JavaScript: re2js), so no pattern can stall the bridge or the browser however the text
// is made: `^(a+)+$` against "aaaa…!" takes JavaScript's backtracking engine seconds per 30
// characters, RE2 microseconds. A pattern must be valid ECMA-262 (JSON Schema's dialect) and be
// within what RE2 runs: lookaround and backreferences are refused when the form is submitted.
import { RE2JS } from 're2js';

const cache = new Map<string, RE2JS>();
const CACHE_SIZE = 256;

/** Why a pattern cannot be used, or null. */
export function patternProblem(pattern: string): string | null {
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return `is not a valid regular expression (ECMA-262): ${(e as Error).message}`;
  }
  try {
    compile(pattern);
  } catch (e) {
    return (
      `cannot be run in linear time (lookaround, backreferences and very large repetitions are not supported): ` +
      (e as Error).message
    );
  }
  return null;
}

/** Whether the pattern matches anywhere in the text (JSON Schema: unanchored unless the pattern says so). */
export function patternMatches(pattern: string, text: string): boolean {
  return compile(pattern).test(text);
}

function compile(pattern: string): RE2JS {
  let re = cache.get(pattern);
  if (!re) {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(pattern, re);
  }
  return re;
}
