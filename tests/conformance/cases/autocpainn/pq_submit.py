# Stand-in of dtu-energy/autocPaiNN's pq_submit.py (active learning of an interatomic potential):
# its shape and every perqueue call kept; the config file inlined, resources made local.
from pathlib import Path
import os
from perqueue import PersistentQueue
from perqueue.task_classes.task import Task
from perqueue.task_classes.task_groups import CyclicalGroup, Workflow, DynamicWidthGroup, StaticWidthGroup
from perqueue.constants import DYNAMICWIDTHGROUP_KEY

### Paths ###
main_path = Path('./')

### Config (a toml file in the project) ###
config = {'global': {'run_path': 'runs', 'max_iteration': 3}, 'train': {'ensemble': ['m0', 'm1', 'm2']}}
run_path = Path(config['global']['run_path'])
if not os.path.isdir(run_path):
    os.makedirs(run_path)

### Task resources ###
Train_resources = '1:local:1h'
Simulation_resources = '1:local:1h'
Activelearning_resources = '1:local:1h'
Labeling_resources = '1:local:1h'

### Set Tasks ###
main_argument = {'cfg': str(main_path/'config.toml')}

Train = Task(main_path/'workflow/train.py', name='Train MLP model', args=main_argument, resources=Train_resources)
Simulation = Task(main_path/'workflow/simulation.py', name='Run ML simulation', args=main_argument, resources=Simulation_resources)
Activelearning = Task(main_path/'workflow/al_select.py', name='Run active learning', args=main_argument, resources=Activelearning_resources)
Labeling = Task(main_path/'workflow/labeling.py', name='Run DFT labeling', args=main_argument, resources=Labeling_resources)

if 'ensemble' in config['train']:
    swg_width = len(config['train']['ensemble'])
else:
    swg_width = 1

swg = StaticWidthGroup(Train, width=swg_width)
dwg_labeling = DynamicWidthGroup([Simulation, Activelearning, Labeling])
dwg_train = DynamicWidthGroup(Train)
cg = CyclicalGroup([dwg_labeling, dwg_train], max_tries=config['global']['max_iteration'])

wf = Workflow({swg: [], cg: [swg]})

with PersistentQueue() as pq:
    pq.submit(wf)
