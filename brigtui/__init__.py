"""brigtui: Brigade-style pipelines from Python event scripts, in a terminal UI.

Event scripts import what they need from here::

    from brigtui import Job, Group, events
"""

from brigtui.engine.errors import JobFailed, OutputTooLarge
from brigtui.engine.handlers import events
from brigtui.engine.model import Event, Group, Job, Project, Result, Storage

__all__ = [
    "Event",
    "Group",
    "Job",
    "JobFailed",
    "OutputTooLarge",
    "Project",
    "Result",
    "Storage",
    "events",
]
__version__ = "0.1.0"
