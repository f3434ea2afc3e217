"""Label the selected frames with the reference calculation ("DFT")."""

from al_common import true_energy


def main(config, selected, well_learnt, state, **kwargs):
    new_y = [round(float(y), 6) for y in true_energy(selected)] if selected else []
    return True, {"config": config, "well_learnt": well_learnt, "new_x": selected, "new_y": new_y, "state": state}
