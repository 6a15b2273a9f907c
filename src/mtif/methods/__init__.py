"""Classical fusion baselines behind one registry: ``get_method("laplacian").fuse(images)``.

The registry is an explicit table (no folder scanning). External programs (enfuse) are listed
by ``available_methods`` only when installed; ``get_method`` says how to install them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from mtif.methods.base import TASKS, FusionMethod, check_inputs
from mtif.methods.enfuse import EnfuseFusion, enfuse_available
from mtif.methods.gff import GuidedFilterFusion
from mtif.methods.laplacian import LaplacianPyramidFusion
from mtif.methods.mertens import MertensFusion
from mtif.methods.simple import MaxFusion, MeanFusion
from mtif.weights import shipped_checkpoint


def _shipped(task: str) -> bool:
    return shipped_checkpoint(task) is not None


__all__ = [
    "FusionMethod",
    "available_methods",
    "check_inputs",
    "get_method",
]


def _network(task: str) -> FusionMethod:
    # Imported on use: the network pulls in torch, which listing methods must not.
    from mtif.fusion.method import NetworkMethod

    return NetworkMethod(f"mtif-{task}", task)


_REGISTRY: dict[str, Callable[[], FusionMethod]] = {
    "mean": MeanFusion,
    "max": MaxFusion,
    "mertens": MertensFusion,
    "gff-mef": partial(GuidedFilterFusion, name="gff-mef", task="mef"),
    "gff-mff": partial(GuidedFilterFusion, name="gff-mff", task="mff"),
    "laplacian": LaplacianPyramidFusion,
    "enfuse-mef": partial(EnfuseFusion, task="mef"),
    "enfuse-mff": partial(EnfuseFusion, task="mff"),
    "mtif-mef": partial(_network, "mef"),
    "mtif-mff": partial(_network, "mff"),
    "mtif-ivf": partial(_network, "ivf"),
}
# Entries that need an external program, and the check that it is there.
_REQUIRES: dict[str, Callable[[], bool]] = {
    "enfuse-mef": enfuse_available,
    "enfuse-mff": enfuse_available,
    "mtif-mef": partial(_shipped, "mef"),
    "mtif-mff": partial(_shipped, "mff"),
    "mtif-ivf": partial(_shipped, "ivf"),
}


def available_methods(task: str | None = None) -> list[str]:
    """Names usable now, sorted; with ``task`` ("mef", "mff", "ivf"), those made for it plus
    the task-agnostic ones ("any")."""
    if task is not None and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    names = [n for n in _REGISTRY if _REQUIRES.get(n, lambda: True)()]
    if task is not None:
        names = [n for n in names if get_method(n).task in (task, "any")]
    return sorted(names)


def get_method(name: str) -> FusionMethod:
    """A new instance of the method registered as ``name`` (default parameters)."""
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown fusion method {name!r}; available: {', '.join(available_methods())}"
        )
    return _REGISTRY[name]()
