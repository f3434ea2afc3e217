// Where the benchmarks find the repository and the CLI they measure.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// PQ_BENCH_PQL: another build of the CLI (e.g. a scratch copy with a change to measure).
export const PQL = process.env.PQ_BENCH_PQL ?? join(REPO, 'perqueue_lab/bridge/pql.mjs');
