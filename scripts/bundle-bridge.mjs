// Bundle the CLI and bridge daemon into one file shipped inside the Python package.
import { build } from 'esbuild';
await build({
  entryPoints: ['kernel-bridge/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  outfile: 'perqueue_lab/bridge/pql.mjs',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
