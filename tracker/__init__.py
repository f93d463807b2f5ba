"""tracker: economic indicators with every release kept, replayable as known on any date."""

from tracker.api import Store, open
from tracker.errors import TrackerError

__all__ = ["Store", "TrackerError", "open"]
__version__ = "0.1.0"
