# Filtering: returning False discards an entry. A chain below a discard never runs on either
# system. A join after a width group where every column survives runs the same on both; where one
# column discards, PerQueue axes the join and PerQueue Lab runs it with the survivors (a
# documented difference: join.py).
from perqueue import PersistentQueue, Task, Workflow, StaticWidthGroup

R = "1:local:10m"

with PersistentQueue() as pq:
    pq.submit(Workflow([Task("col.py", {"keep": [], "pq_index": [0]}, R), Task("after.py", {}, R)]))
    pq.submit(StaticWidthGroup([Task("col.py", {"keep": [0, 2]}, R), Task("after.py", {}, R)], width=3))
    pq.submit(Workflow([StaticWidthGroup(Task("col.py", {"keep": [0, 1]}, R), width=2), Task("after.py", {}, R)]))
    pq.submit(Workflow([StaticWidthGroup(Task("col.py", {"keep": [0, 2], "tag": "join"}, R), width=3), Task("join.py", {}, R)]))
