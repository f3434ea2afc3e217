"""PerQueue's reserved keyword names, with the values of the published ``perqueue`` package.

Task scripts written for PerQueue read and return these keys, so the values must be exactly
PerQueue's. The TypeScript twin is ``core/constants.ts``; a test keeps the two equal.
"""

from __future__ import annotations

#: A width group's position: a list with one index per enclosing width group.
INDEX_KW = "pq_index"
#: A CyclicalGroup's iteration: a list with one counter per enclosing cyclical group.
ITER_KW = "pq_iteration"
#: The key a CyclicalGroup's iteration limit is known by in PerQueue's stored data.
MAXTRIES_KW = "pq_max_tries"

#: Returned by the last tasks of an iteration: True stops the loop, False runs another.
CYCLICALGROUP_KEY = "pq_toggle_key"
#: Returned by the parents of a DynamicWidthGroup: the number of columns to make.
DYNAMICWIDTHGROUP_KEY = "pq_dwg_width"
#: Returned by the parents of a SwitchGroup: the branch to run.
SWITCHGROUP_KEY = "pq_switch_key"
#: A switch key value that runs no branch at all (so it cannot name a branch).
SWITCHGROUP_SKIP = "pq_skip_route"

#: PerQueue's CyclicalGroup limit when ``max_tries`` is not given.
DEFAULT_MAX_TRIES = 16

#: Reserved input key holding every parent's output in parent order (PerQueue Lab only).
PARENTS_KW = "pq_parents"

#: Every constant above by name, like ``perqueue.constants.all_constants``.
all_constants = {k: v for k, v in dict(vars()).items() if k.isupper()}
