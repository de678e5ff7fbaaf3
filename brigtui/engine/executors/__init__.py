"""Executors by name; each is imported only when a build uses it."""

from __future__ import annotations

import importlib

from brigtui.config import EXECUTORS, Settings
from brigtui.engine.errors import UsageError
from brigtui.engine.executors.base import Executor

_MODULES = {
    "local": ("brigtui.engine.executors.local", "LocalExecutor"),
    "container": ("brigtui.engine.executors.container", "ContainerExecutor"),
    "kubernetes": ("brigtui.engine.executors.kubernetes", "KubernetesExecutor"),
}


def create_executor(name: str, settings: Settings) -> Executor:
    """Create the executor called `name`, importing its module on first use."""
    if name not in _MODULES:
        raise UsageError(f"unknown executor {name!r}; choose one of: {', '.join(EXECUTORS)}")
    module_name, class_name = _MODULES[name]
    module = importlib.import_module(module_name)
    executor_class: type[Executor] = getattr(module, class_name)
    return executor_class(settings)
