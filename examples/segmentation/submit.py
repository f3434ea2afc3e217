"""Active learning for image segmentation with a person labelling the uncertain images.

    train ─► CyclicalGroup, until the pixel accuracy reaches the target:
               select ─► label (ManualTask: label.ipynb, a person) ─► train
                  └──────────────────────────────────────────────────►┘

The model is first trained on roughly annotated images. Each iteration selects the images it
is least sure of, waits for a person to label them in ``label.ipynb`` (JupyterLab's PerQueue
human steps panel opens the copy prepared for the step; ``pql approve`` works too), then
retrains. The step holds no compute slot while it waits. When nobody answers within ``LABEL_TIMEOUT``
seconds, the default applies: a simulated annotator (the synthetic data's true masks), so the
workflow also runs unattended.

    pql submit examples/segmentation/submit.py
    LABEL_TIMEOUT=20 pql submit examples/segmentation/submit.py    # unattended, quickly

On a cluster: ``PQ_EXAMPLE_NODE=<node name from .perqueue/config.json>`` (default ``local``).
"""

import os
from pathlib import Path

from perqueue_lab import CyclicalGroup, ManualTask, PersistentQueue, Task, Workflow

EXAMPLE = Path(__file__).resolve().parent
HERE = EXAMPLE / "tasks"
NODE = os.environ.get("PQ_EXAMPLE_NODE", "local")  # the only thing that changes on a cluster
SIZE = int(os.environ.get("SIZE", "120"))  # number of images (the last fifth is the test set)
TARGET = float(os.environ.get("TARGET", "0.80"))  # pixel accuracy that ends the loop
LABEL_TIMEOUT = float(os.environ.get("LABEL_TIMEOUT", "3600"))  # seconds a person has per round


def res(minutes: int = 10, cores: int = 1) -> str:
    """A MyQueue resource string (cores:node:time) on the chosen node."""
    return f"{cores}:{NODE}:{minutes}m"


def build(size: int = SIZE, target: float = TARGET, label_timeout: float = LABEL_TIMEOUT) -> Workflow:
    config = {"n_images": size, "n_test": max(4, size // 5), "n_initial": 4, "batch": 4, "target": target, "seed": 7}
    first_training = Task(HERE / "train.py", config, res(60), name="train")
    select = Task(HERE / "select.py", None, res(10))
    label = ManualTask(
        "label",
        notebook=EXAMPLE / "label.ipynb",
        timeout=label_timeout,
        default={"labels": {}, "annotator": "simulated"},
        on_reject="fail",  # a rejected round waits for `pql retry`, which asks again
    )
    train = Task(HERE / "train.py", None, res(60), name="train")
    loop = CyclicalGroup({select: [], label: [select], train: [select, label]}, max_tries=10, name="active learning")
    return Workflow([first_training, loop])


if __name__ == "__main__":
    with PersistentQueue() as pq:
        wf_id = pq.submit(build(), name="segmentation")
    print(f"submitted workflow {wf_id}: {SIZE} images, target accuracy {TARGET}; label when asked "
          f"(JupyterLab's PerQueue human steps panel, or `pql ls -s a`), or wait {LABEL_TIMEOUT:g} s for the default")
