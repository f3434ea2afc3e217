# Stand-in of armmorin/strained's submission: a StaticWidthGroup of strained structures (one
# column per strain), each a chain apply_strain -> preneb -> neb, then apply_fit on all columns.
# args=None as the project passes it. Resources made local.
from pathlib import Path
from perqueue import PersistentQueue
from perqueue.task_classes.task import Task
from perqueue.task_classes.task_groups import Workflow, StaticWidthGroup

here = Path('.').resolve()
strains = [-0.02, -0.01, 0.0, 0.01, 0.02]

strain = Task(here/'apply_strain.py', args={'strains': strains}, resources='1:local:10m')
preneb = Task(here/'preneb.py', args=None, resources='1:local:10m')
neb = Task(here/'neb.py', None, '1:local:10m')
fit = Task(code=here/'apply_fit.py', args={'strains': strains}, resources='1:local:10m', name='apply_fit.py')

swg = StaticWidthGroup(Workflow([strain, preneb, neb]), width=len(strains))
wf = Workflow({swg: [], fit: [swg]})

with PersistentQueue() as pq:
    pq.submit(wf)
