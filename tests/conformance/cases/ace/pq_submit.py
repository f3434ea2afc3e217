# Stand-in of dtu-energy/autonomous_cluster_expansion's pq_submit.py: an initial cluster-expansion
# fit, a loop of [DynamicWidthGroup of relaxations -> refit] until converged, then MC and KMC.
# Shape and perqueue calls kept; parameters trimmed; resources made local.
from pathlib import Path
import os
from perqueue import PersistentQueue
from perqueue.task_classes.task import Task
from perqueue.task_classes.task_groups import CyclicalGroup, Workflow, DynamicWidthGroup, StaticWidthGroup
from perqueue.constants import DYNAMICWIDTHGROUP_KEY

workflow_path = Path('.')
run_path = Path('.')
CE_model_path = str(run_path/'NaFeMnPO4_CE_model')
cfg_path = CE_model_path+'/config.toml'
db_name = 'structures.db'
if not os.path.isdir(CE_model_path):
    os.makedirs(CE_model_path)
cif_file = 'cif_files/NaMPO4_olivine.cif'

CE_params = {'run_path': CE_model_path, 'db_path': CE_model_path+f'/{db_name}', 'cfg_path': cfg_path, 'initial_start': True, 'cif_file': cif_file}
relax_params = {'run_path': CE_model_path, 'db_path': CE_model_path+f'/{db_name}', 'cfg_pth': cfg_path}
MC_task_params = {'run_path': CE_model_path, 'cfg_pth': cfg_path}
KMC_task_params = {'run_path': CE_model_path, 'cfg_pth': cfg_path}

CE_task_init = Task(workflow_path/'workflow/CE_model.py', CE_params, '1:local:10m')
CE_task = Task(workflow_path/'workflow/CE_model.py', CE_params, '1:local:10m')
relaxation_task = Task(workflow_path/'workflow/relaxation.py', relax_params, '1:local:10m')
MC_task = Task(workflow_path/'workflow/MC.py', MC_task_params, '1:local:10m')
KMC_task = Task(workflow_path/'workflow/KMC.py', KMC_task_params, '1:local:10m')

dwg = DynamicWidthGroup([relaxation_task])
cg = CyclicalGroup([dwg, CE_task], max_tries=10)

wf = Workflow({CE_task_init: [], cg: [CE_task_init], MC_task: [cg], KMC_task: [MC_task]})

with PersistentQueue() as pq:
    pq.submit(wf)
