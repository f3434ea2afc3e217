/**
 * How the UI tests (playwright.config.js) and the UI benchmark (bench/ui-graph.ts) launch the
 * system Chromium (CHROMIUM_PATH, default /usr/bin/chromium): no sandbox, no GPU, none of the
 * browser's own background traffic.
 */
module.exports = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
