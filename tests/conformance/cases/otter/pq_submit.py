# Stand-in of TheoFEM-TUM/FLOW-OTTER's flow.py (MD -> Hamiltonian -> optoelectronic properties,
# as sweeps (StaticWidthGroup) or cascades (CyclicalGroup) chosen by SwitchGroups). The shape of
# its groups and every perqueue call are kept, with the branches this stand-in uses; the yaml
# configuration is inlined; resources made local. Both simulation types are submitted.
from pathlib import Path
from perqueue import PersistentQueue, Task, Workflow, SwitchGroup, StaticWidthGroup, CyclicalGroup

configWF = {"num_simulations": 2, "N_avg": 2, "resources": "1:local:10m"}
path_configWF = "workflow_config.yaml"

dir_code = Path(configWF.get("dir_code", "./"))
tasks = dir_code / "tasks/"
MD = tasks / "MD/"
H = tasks / "H/"
optoelec = tasks / "optoelec/"
test_MD = MD / "test/"
empTB = H / "empTB/"
test_H = H / "test/"
conductivity = optoelec / "conductivity/"

resources = configWF["resources"]
resources_prefix = resources.rsplit(":", 1)[0]
resources_instant = configWF.get("resources_instant", f"{resources_prefix}:5m")
resources_short = configWF.get("resources_short", f"{resources_prefix}:2h")
resources_MD = resources_H = resources_optoelec = resources

### buffer tasks
t_buffer = Task(tasks / "buffer.py", None, resources_instant, name="buffer")
t_buffer_s = Task(tasks / "buffer.py", None, resources_instant, name="buffer")
t_buffer_c = Task(tasks / "buffer.py", None, resources_instant, name="buffer")

num_simulations = configWF.get("num_simulations", 1)


def flow(simulation_type):
    dict_simulation = {"path_configWF": path_configWF, "num_simulations": num_simulations, "simulation_type": simulation_type}
    t0_check_simulation = Task(tasks / "check_simulation_type.py", dict_simulation, resources_instant, name="check_simulation_type")

    t1_checkMD = Task(MD / "check_MD_type.py", None, resources_instant, name="check_MD_type")
    t1_MD = Task(MD / "lammps_MD.py", None, resources_MD, name="lammps_MD")
    t1_skipMD = Task(MD / "skip_MD.py", None, resources_instant, name="skip_MD")
    sg1_MD_s = SwitchGroup({"lammps": t1_MD, "skip_MD": t1_skipMD})
    sg1_MD_c = SwitchGroup({"lammps": t1_MD, "skip_MD": t1_skipMD})

    t1_testMD_eq = Task(test_MD / "test_MD_equilibration.py", None, resources_instant, name="test_MD_equilibration")
    t1_testMD = Task(test_MD / "test_MD.py", None, resources_short, name="test_MD")
    t1_testMD_plot = Task(test_MD / "test_MD_plot_comparison.py", None, resources_instant, name="test_MD_plot_comparison")

    swg1_MD = StaticWidthGroup({
        t1_checkMD: [], sg1_MD_s: [t1_checkMD], t1_testMD_eq: [sg1_MD_s], t1_testMD: [t1_testMD_eq]
        }, width=num_simulations)
    cg1_MD = CyclicalGroup({
        t1_checkMD: [], sg1_MD_c: [t1_checkMD], t1_testMD_eq: [sg1_MD_c], t1_testMD: [t1_testMD_eq]
        }, num_simulations)
    sg0_check_simulation = SwitchGroup({"sweep": {t_buffer_s: [], swg1_MD: [t_buffer_s]}, "cascade": {t_buffer_c: [], cg1_MD: [t_buffer_c]}})

    t2_checkH = Task(H / "check_H_type.py", None, resources_instant, name="check_H_type")
    t2_skipH = Task(H / "skip_H.py", None, resources_instant, name="skip_H")
    t2_prep_empTB = Task(empTB / "prep_fit_empTB.py", None, resources_short, name="prep_fit_empTB")
    t2_empTB = Task(empTB / "fit_empTB.py", None, resources_H, name="fit_empTB")
    sg2_H = SwitchGroup({"empTB": {t2_prep_empTB: [], t2_empTB: [t2_prep_empTB]}, "skip_H": t2_skipH})

    t2_testH = Task(test_H / "check_test_H.py", None, resources_instant, name="check_test_H")
    t2_testH_skip = Task(test_H / "skip_test_H.py", None, resources_instant, name="skip_test_H")
    sg2_test = SwitchGroup({"skip_test_H": t2_testH_skip})

    t3_checkOpto = Task(optoelec / "check_optoelec.py", None, resources_instant, name="check_optoelec")
    t3_checkOpto_plot = Task(optoelec / "check_optoelec_plot.py", None, resources_instant, name="check_optoelec_plot")
    t3_skipOpto = Task(optoelec / "skip_optoelec.py", None, resources_instant, name="skip_optoelec")
    t3_skipOpto_plot = Task(optoelec / "skip_optoelec.py", None, resources_instant, name="skip_optoelec")
    t3_optC = Task(conductivity / "optical_conductivity.py", None, resources_optoelec, name="optical_conductivity")
    t3_plot_optC = Task(conductivity / "plot_optical_conductivity.py", None, resources_instant, name="plot_optical_conductivity")

    N_avg = configWF.get("N_avg", 1)
    swg3_optC = StaticWidthGroup(t3_optC, width=N_avg)
    sg3_opto = SwitchGroup({"conductivity": {t_buffer: [], swg3_optC: [t_buffer]}, "skip_optoelec": t3_skipOpto})
    sg3_plotOpto = SwitchGroup({"conductivity": t3_plot_optC, "skip_optoelec": t3_skipOpto_plot})

    swg2_H_3_opto = StaticWidthGroup({
        t2_checkH: [], sg2_H: [t2_checkH],
        t2_testH: [sg2_H], sg2_test: [t2_testH],
        t3_checkOpto: [sg2_test], sg3_opto: [t3_checkOpto]
        }, width=num_simulations)

    return Workflow({
        t0_check_simulation: [],
        sg0_check_simulation: [t0_check_simulation], t1_testMD_plot: [sg0_check_simulation],
        swg2_H_3_opto: [sg0_check_simulation],
        t3_checkOpto_plot: [swg2_H_3_opto], sg3_plotOpto: [t3_checkOpto_plot]
    })


with PersistentQueue() as pq:
    for simulation_type in ("sweep", "cascade"):
        pq.submit(flow(simulation_type))
