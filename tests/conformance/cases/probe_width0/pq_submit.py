# DynamicWidthGroup widths 1 and 0. With 0, PerQueue 0.3.2 still makes one column (pq_index [0],
# an off-by-one in duplicate_tasks), whose script then indexes an empty list and fails;
# PerQueue Lab makes no column (docs/semantics.md).
from perqueue import PersistentQueue, Task, Workflow
from perqueue.task_classes.task_groups import DynamicWidthGroup

R = "1:local:10m"

with PersistentQueue() as pq:
    for width in (1, 0):
        pq.submit(Workflow([Task("gen.py", {"width": width}, R), DynamicWidthGroup(Task("item.py", {}, R))]))
