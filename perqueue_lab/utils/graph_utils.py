"""The graph helpers of ``perqueue.utils.graph_utils`` that scripts use on dependency graphs
(``PersistentQueue.get_dependency_graph``): roots and leaves of a networkx ``DiGraph``.

In PerQueue's edge direction (child -> parent), the roots are the entries nothing depends on
(the last ones) and the leaves those that depend on nothing (the first ones).
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_roots", "get_leaves"]


def get_roots(graph: Any) -> list[Any]:
    """The nodes no edge points to."""
    return [n for n, d in graph.in_degree() if d == 0]


def get_leaves(graph: Any) -> list[Any]:
    """The nodes with no edge leaving them."""
    return [n for n, d in graph.out_degree() if d == 0]
