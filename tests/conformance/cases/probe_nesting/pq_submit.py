# pq_index in every nesting of StaticWidthGroup and DynamicWidthGroup (PerQueue 0.3.2 builds the
# list inside out for static groups and appends a dynamic group's column last).
from perqueue import PersistentQueue, Task, Workflow, StaticWidthGroup
from perqueue.task_classes.task_groups import DynamicWidthGroup

R = "1:local:10m"


def t(tag):
    return Task("t.py", {"case": tag}, R)


def gen(tag, width):
    return Task("gen.py", {"case": tag, "width": width}, R)


swg_in_swg = StaticWidthGroup(StaticWidthGroup(t("swg_in_swg"), width=2), width=3)
dwg_in_swg = StaticWidthGroup([gen("dwg_in_swg", 3), DynamicWidthGroup(t("dwg_in_swg"))], width=2)
swg_in_dwg = Workflow([gen("swg_in_dwg", 3), DynamicWidthGroup(StaticWidthGroup(t("swg_in_dwg"), width=2))])
dwg_in_dwg = Workflow([gen("dwg_in_dwg", 2), DynamicWidthGroup([gen("dwg_in_dwg_inner", 3), DynamicWidthGroup(t("dwg_in_dwg"))])])
swg_in_dwg_in_swg = StaticWidthGroup(
    [gen("swg_in_dwg_in_swg", 2), DynamicWidthGroup(StaticWidthGroup(t("swg_in_dwg_in_swg"), width=2))], width=2
)

with PersistentQueue() as pq:
    for wf in (swg_in_swg, dwg_in_swg, swg_in_dwg, dwg_in_dwg, swg_in_dwg_in_swg):
        pq.submit(wf)
