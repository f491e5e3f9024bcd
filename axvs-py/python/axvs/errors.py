"""The exceptions axvs raises; each message is the one the ``axvs`` command prints for the same error.

Each is also the built-in exception the original (ataraxis-video-system) raised in the same case, so that
``except ValueError`` and ``except RuntimeError`` in existing scripts still catch them.
"""


class AxvsError(Exception):
    """Base class of every error axvs raises."""


class RigError(AxvsError, ValueError):
    """A rig that cannot be used; the message names the file (or ``<rig text>``), line and column."""


class SessionError(AxvsError, RuntimeError):
    """A session that cannot start, or cannot do what was asked."""


class LogError(AxvsError, ValueError):
    """A log or archive that cannot be read, or a session's raw log that disagrees with its video."""
