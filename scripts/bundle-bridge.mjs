// Bundle the CLI and bridge daemon into perqueue_lab/bridge/ (shipped inside the Python package):
// pql.mjs is the entry; the daemon's code sits in its own chunk, loaded only by `daemon run`,
// so short CLI calls start in about half the time.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
rmSync('perqueue_lab/bridge', { recursive: true, force: true });
await build({
  entryPoints: ['kernel-bridge/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  outdir: 'perqueue_lab/bridge',
  entryNames: 'pql',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  // `ws` is CommonJS and requires Node's modules at run time: give the ES module a require().
  // Its optional native helpers (bufferutil, utf-8-validate) stay out; it works without them.
  external: ['bufferutil', 'utf-8-validate'],
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __pqCreateRequire } from 'node:module';\nconst require = __pqCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
