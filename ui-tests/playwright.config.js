/**
 * Galata configuration: Jupyter is started by Playwright with jupyter_server_test_config.py,
 * and the browser is the system Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
const fs = require('fs');
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// Use the project's virtual environment when there is one, so `jupyter` finds perqueue_lab.
const venvBin = path.resolve(__dirname, '..', '.venv', 'bin');
if (fs.existsSync(venvBin) && !(process.env.PATH || '').split(path.delimiter).includes(venvBin)) {
  process.env.PATH = `${venvBin}${path.delimiter}${process.env.PATH}`;
}

// The Jupyter server's port (jupyter_server_test_config.py reads the same variable), so two
// checkouts can run their UI suites side by side.
const port = process.env.PQ_UI_PORT || '8888';

module.exports = {
  ...baseConfig,
  workers: 1,
  // A bound for a hung test, not for a slow one: with both cores busy beside another whole suite
  // a JupyterLab test that takes 20 s idle has taken over Galata's default of 60 s.
  timeout: 180_000,
  retries: process.env.CI ? 1 : 0,
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    launchOptions: require('./chromium'),
    video: 'off',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  webServer: {
    command: 'jupyter lab --config jupyter_server_test_config.py',
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    // Let Jupyter exit normally so the test config stops the project's bridge.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15000 },
  },
};
