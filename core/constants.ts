// The PerQueue keyword names and values, in one place. Values match the published
// `perqueue` package (perqueue/constants.py, version 0.3.2) so that task scripts written
// for PerQueue return the same keys here.

/** A width or cyclical group's position: one list element per enclosing group. */
export const INDEX_KW = 'pq_index';
export const ITER_KW = 'pq_iteration';
/** Key a CyclicalGroup's limit is known by in PerQueue's stored data. */
export const MAXTRIES_KW = 'pq_max_tries';

/** Returned by the last tasks of an iteration: true stops the loop, false runs another. */
export const CYCLICALGROUP_KEY = 'pq_toggle_key';
/** Returned by the parents of a DynamicWidthGroup: the number of columns to make. */
export const DYNAMICWIDTHGROUP_KEY = 'pq_dwg_width';
/** Returned by the parents of a SwitchGroup: the branch to run. */
export const SWITCHGROUP_KEY = 'pq_switch_key';
/** A SwitchGroup key value that runs no branch at all. */
export const SWITCHGROUP_SKIP = 'pq_skip_route';

/** PerQueue's CyclicalGroup default when max_tries is not given. */
export const DEFAULT_MAX_TRIES = 16;

/** Reserved input key holding every parent's output, in parent order (new in PerQueue Lab). */
export const PARENTS_KW = 'pq_parents';

export const ALL_CONSTANTS = {
  INDEX_KW,
  ITER_KW,
  MAXTRIES_KW,
  CYCLICALGROUP_KEY,
  DYNAMICWIDTHGROUP_KEY,
  SWITCHGROUP_KEY,
  SWITCHGROUP_SKIP,
  PARENTS_KW
} as const;
