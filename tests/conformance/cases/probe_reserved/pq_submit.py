# Reserved keys as PerQueue 0.3.2 passes them on (pq_dwg_width to a DWG's columns, pq_switch_key
# to a branch, pq_toggle_key to the next iteration and after the loop), and the precedence of a
# task's args, its parents' data and pq_index/pq_iteration.
from perqueue import PersistentQueue, Task, Workflow, StaticWidthGroup, CyclicalGroup, SwitchGroup
from perqueue.task_classes.task_groups import DynamicWidthGroup
from perqueue.constants import DYNAMICWIDTHGROUP_KEY, SWITCHGROUP_KEY

R = "1:local:10m"

# A DWG's columns, then a join after it.
dwg = Workflow([
    Task("emit.py", {"out": {DYNAMICWIDTHGROUP_KEY: 2, "x": "parent"}, "tag": "dwg"}, R),
    DynamicWidthGroup(Task("t.py", {"x": "own", "y": "own"}, R)),
    Task("t.py", {"tag": "after dwg"}, R),
])

# A switch: the branch sees the key.
switch = Workflow([
    Task("emit.py", {"out": {SWITCHGROUP_KEY: "b", "v": 1}, "tag": "switch"}, R),
    SwitchGroup({"a": Task("t.py", {"branch": "a"}, R), "b": Task("t.py", {"branch": "b"}, R)}),
    Task("t.py", {"tag": "after switch"}, R),
])

# A loop of two iterations whose first body node is a DWG (the width comes from the data before
# the loop, then from the last task of the previous iteration); then a task after the loop.
loop = Workflow([
    Task("emit.py", {"out": {"n": 10, DYNAMICWIDTHGROUP_KEY: 1}, "tag": "loop"}, R),
    CyclicalGroup([DynamicWidthGroup(Task("t.py", {"tag": "loop col"}, R)), Task("step.py", {"stop_at": 1}, R)], max_tries=4),
    Task("t.py", {"tag": "after loop"}, R),
])

# Precedence: a top-level task whose parent returns pq_index keeps it; a column's own wins.
precedence = Workflow([
    Task("emit.py", {"out": {"pq_index": ["from parent"], "pq_iteration": [7], "z": 1}, "tag": "prec"}, R),
    Task("t.py", {"z": 0, "tag": "top"}, R),
    StaticWidthGroup(Task("t.py", {"tag": "col"}, R), width=1),
])

with PersistentQueue() as pq:
    for wf in (dwg, switch, loop, precedence):
        pq.submit(wf)
