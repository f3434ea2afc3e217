# SwitchGroup routes: a branch chosen by pq_switch_key runs and what follows gets the data; with
# pq_skip_route PerQueue 0.3.2 constructs nothing and never looks at what follows the switch,
# which waits for ever; PerQueue Lab runs it (a documented difference: after_skip.py).
from perqueue import PersistentQueue, Task, Workflow, SwitchGroup
from perqueue.constants import SWITCHGROUP_SKIP

R = "1:local:10m"

with PersistentQueue() as pq:
    for route in ("a", SWITCHGROUP_SKIP):
        pq.submit(Workflow([
            Task("pick.py", {"route": route}, R),
            SwitchGroup({"a": Task("branch.py", {}, R)}),
            Task("after_skip.py" if route == SWITCHGROUP_SKIP else "branch.py", {"after": route}, R),
        ]))
