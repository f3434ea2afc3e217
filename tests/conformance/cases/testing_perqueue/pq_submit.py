# Stand-in of pythonworkflow/testing-perqueue (the arithmetic workflow run locally): three
# functions chained, each wrapped by the project's `fix` so that any result becomes (True, dict).
# Its x / y division makes an integral float (4 / 2 == 2.0) the next task formats.
from pathlib import Path
from perqueue import PersistentQueue
from perqueue.task_classes.task import Task
from perqueue.task_classes.task_groups import Workflow

here = Path('.').resolve()
t1 = Task(here/'get_prod_and_div.py', {'x': 4, 'y': 2}, '1:local:10m')
t2 = Task(here/'get_sum.py', {}, '1:local:10m')
t3 = Task(here/'get_square.py', {}, '1:local:10m')

with PersistentQueue() as pq:
    pq.submit(Workflow({t1: [], t2: [t1], t3: [t2]}))
