// Prettier: the JupyterLab extension template's options (scripts/format.sh applies them,
// scripts/lint.sh checks them).
export default {
  singleQuote: true,
  trailingComma: 'none',
  arrowParens: 'avoid',
  endOfLine: 'auto',
  // The template keeps Prettier's 80 columns; this code base is written to 120 (long messages
  // and signatures on one line), so re-wrapping two lines in five would change nothing else.
  printWidth: 120
};
