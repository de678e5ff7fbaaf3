"""brigtui: Brigade-style pipelines from Python event scripts, in a terminal UI.

Event scripts import what they need from here::

    from brigtui import Job, Group, events, pipe
"""

from brigtui.engine.errors import JobFailed, OutputTooLarge
from brigtui.engine.handlers import events
from brigtui.engine.model import Event, Group, Job, Project, Result, Storage
from brigtui.share.pipes import pipe

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
    "pipe",
]
__version__ = "0.1.0"
