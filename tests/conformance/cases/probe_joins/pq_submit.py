# What the child of a join receives: differing values as a dict keyed by the parents' entry keys
# (in their order), equal values once; and the same through a DWG with 12 columns (keys past 9).
from perqueue import PersistentQueue, Task, Workflow, StaticWidthGroup
from perqueue.task_classes.task_groups import DynamicWidthGroup

R = "1:local:10m"




with PersistentQueue() as pq:
    pq.submit(Workflow([StaticWidthGroup(Task("col.py", {}, R), width=3), Task("join.py", {}, R)]))
    pq.submit(Workflow({
        Task("col.py", {"pq_index": [5]}, R, name="a"): [],
        Task("col.py", {"pq_index": [6]}, R, name="b"): [],
    }))
    gen = Task("gen.py", {}, R)
    pq.submit(Workflow([gen, DynamicWidthGroup(Task("col.py", {}, R)), Task("join.py", {}, R)]))
    # A diamond: two parents that are not columns of one group, returning different values.
    a = Task("col.py", {"pq_index": [0]}, R, name="top")
    b = Task("col.py", {"pq_index": [1]}, R, name="left")
    c = Task("col.py", {"pq_index": [2]}, R, name="right")
    pq.submit(Workflow({a: [], b: [a], c: [a], Task("diamond.py", {}, R): [b, c]}))
