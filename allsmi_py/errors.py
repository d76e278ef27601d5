"""The exception tree of allsmi-py.

    AllSmiError
    ├── ConfigError          bad config file, env var or flag: one line to the user, exit 2
    ├── UsageError           bad command line (unknown --mock profile, --backend name ...): exit 2
    ├── BackendError
    │   ├── BackendUnavailable   library, driver or device missing: the backend's status says why
    │   └── BackendReadError     a read failed: becomes the backend's `error` status
    └── RemoteError          a remote node could not be read: becomes its NodeStatus

Only ConfigError and UsageError reach the user as an exit code. Hardware and network
trouble becomes a `None` field or a status row, never a crash.
"""

from __future__ import annotations


class AllSmiError(Exception):
    """Base of every error allsmi-py raises on purpose."""


class ConfigError(AllSmiError):
    """The configuration (file, environment or flags) is invalid."""


class UsageError(AllSmiError):
    """The command line asks for something that does not exist or cannot be done."""


class BackendError(AllSmiError):
    """A backend could not do what was asked."""


class BackendUnavailable(BackendError):
    """The backend cannot run here; the message says why and how to fix it."""


class BackendReadError(BackendError):
    """Reading the hardware failed this time."""


class RemoteError(AllSmiError):
    """A remote node could not be read."""
