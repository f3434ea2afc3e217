// Error types that carry where a problem is: the workflow, the node and the field.
// Every user-facing message is built here so that the place is always named the same way.

export interface Place {
  workflow?: string;
  /** Path of the node in the spec tree, e.g. "root/train/body". */
  node?: string;
  field?: string;
}

function describePlace(p: Place): string {
  const parts: string[] = [];
  if (p.workflow !== undefined) parts.push(`workflow '${p.workflow}'`);
  if (p.node !== undefined) parts.push(`node '${p.node}'`);
  if (p.field !== undefined) parts.push(`field '${p.field}'`);
  return parts.join(', ');
}

/** A workflow definition that cannot be accepted. Nothing is stored when this is thrown. */
export class SpecError extends Error {
  readonly place: Place;
  readonly problem: string;
  constructor(place: Place, problem: string) {
    super(`${describePlace(place)}: ${problem}`);
    this.name = 'SpecError';
    this.place = place;
    this.problem = problem;
  }
}

/** An action that does not apply to the entry in its current state. */
export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionError';
  }
}

export class ResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceError';
  }
}

/**
 * Data given to a manual step that its form refuses. An ActionError, so the bridge answers 400
 * and the CLI exits 2 with the message; nothing changes when it is thrown.
 */
export class FormDataError extends ActionError {
  /** Each `path: problem`, e.g. `data.labels[2]: expected a number, got "x"`. */
  readonly problems: string[];
  constructor(
    at: { workflowId: number; workflow: string; entryId: number; entry: string; node: string },
    problems: string[]
  ) {
    // Ids as the CLI takes them, names as the person knows them, the node path as validateSpec names it.
    const where = `workflow ${at.workflowId} ('${at.workflow}'), entry ${at.entryId} ('${at.entry}'), ${describePlace({ node: at.node })}`;
    super(`${where}: the data does not match the step's form: ${problems.join('; ')}`);
    this.name = 'FormDataError';
    this.problems = problems;
  }
}
