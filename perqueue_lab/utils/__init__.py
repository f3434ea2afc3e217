"""``perqueue.utils`` under this project's name: what PerQueue scripts import from it.

``loads_w_consts`` reads JSON text in which PerQueue's constant names stand for their values
(``{"key": INDEX_KW}``), as configuration files written for PerQueue do. The JSON encoder
registry is in :mod:`perqueue_lab.utils.serial_utils` (``register_json_encoder``).
"""

from __future__ import annotations

import re
from json import loads
from typing import Any

from perqueue_lab.constants import all_constants

__all__ = ["AccessBeforeAssignmentError", "loads_w_consts"]


class AccessBeforeAssignmentError(Exception):
    """An attribute (a key) was read before it was given a value."""


def loads_w_consts(s: str, **kwargs: Any) -> Any:
    """``json.loads`` after replacing PerQueue's constant names by their values.

    As in PerQueue, a name with or without quotes around it is replaced by the ``repr`` of its
    value and then every single quote becomes a double quote, so ``INDEX_KW`` and ``"INDEX_KW"``
    both read as ``"pq_index"``. ``kwargs`` go to ``json.loads``.
    """
    # Longest names first: a short name must not eat the start of a longer one.
    names = sorted(all_constants, key=len, reverse=True)
    pattern = re.compile("|".join(f'"?{re.escape(k)}"?' for k in names))
    text = pattern.sub(lambda m: repr(all_constants[m.group().strip('"')]), s).replace("'", '"')
    return loads(text, **kwargs)
