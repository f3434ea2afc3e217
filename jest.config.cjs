// Jest for the browser code (src/ and widgets/; each feature's tests in its __tests__/ folder): JupyterLab's shared jest preset, TypeScript through ts-jest.
const jestJupyterLab = require('@jupyterlab/testutils/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter-widgets/',
  '@jupyterlab/',
  '@lumino/',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs',
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  collectCoverageFrom: ['{src,widgets}/**/*.{ts,tsx}', '!{src,widgets}/**/*.d.ts', '!{src,widgets}/**/__tests__/**'],
  coverageReporters: ['lcov', 'text'],
  moduleNameMapper: {
    ...baseConfig.moduleNameMapper,
    // Sources import each other with the .js suffix that ES modules need.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  reporters: ['default'],
  // Only the browser sources: the project also holds a Python venv and built bundles.
  roots: ['<rootDir>/src', '<rootDir>/widgets'],
  modulePathIgnorePatterns: ['<rootDir>/perqueue_lab/', '<rootDir>/.venv/', '<rootDir>/lib/', '<rootDir>/ui-tests/'],
  testRegex: '(src|widgets)/(.*/)?__tests__/.*\\.spec\\.tsx?$',
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`],
};
