# Stand-in of dtu-energy/cathode-generation-workflow's pq_submit.py: generate configurations,
# relax each (DynamicWidthGroup of a two-task chain), pick the stable ones, simulate each (a
# second DynamicWidthGroup). Shape and perqueue calls kept; config.toml inlined.
from pathlib import Path
from perqueue import PersistentQueue
from perqueue.task_classes.task import Task
from perqueue.task_classes.task_groups import CyclicalGroup, Workflow, DynamicWidthGroup, StaticWidthGroup
from perqueue.constants import DYNAMICWIDTHGROUP_KEY

root_path = Path('.')
path_workflow = root_path/'workflow/'

init_gen_res = '1:local:10m'
relax_res = '1:local:10m'
stable_res = '1:local:10m'
md_sim_res = '1:local:10m'

params = {'initial_generation': {'cif_file': 'NaMPO4_olivine.cif', 'ion': 'Na', 'n_configs': 4}}
params['initial_generation']['cfg_name'] = str(root_path/'config.toml')
params['initial_generation']['root_dir'] = str(root_path)

initial_gen = Task(root_path/'Initial_generation.py', params['initial_generation'], init_gen_res)
psudo_relax = Task(path_workflow/'psudo_relaxation.py', {}, relax_res)
relax = Task(path_workflow/'relaxation.py', {}, relax_res)
stable = Task(path_workflow/'stable_calculation.py', {}, stable_res)
md_sim = Task(path_workflow/'md_simulation.py', {}, md_sim_res)

relaxation_group = DynamicWidthGroup([psudo_relax, relax])
md_simulation = DynamicWidthGroup([md_sim])

wf = Workflow({initial_gen: [], relaxation_group: [initial_gen], stable: [relaxation_group], md_simulation: [stable]})

with PersistentQueue() as pq:
    pq.submit(wf)
