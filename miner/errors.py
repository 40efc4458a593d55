"""User-facing errors.

Anything a user can cause (a bad path, a damaged file, a missing e-mail) raises
:class:`MinerError`; the CLI prints its message and exits non-zero instead of
showing a traceback.  Programming errors stay ordinary exceptions.
"""

from __future__ import annotations


class MinerError(Exception):
    """An error whose message is meant for the user, not a traceback."""

    exit_code: int = 1


class ConfigError(MinerError):
    """Missing or invalid configuration (e-mail, paths, settings file)."""


class InputFileError(MinerError):
    """A damaged, unreadable or unrecognised input file.

    The message names the file and, where known, the position of the damage.
    """

    def __init__(self, path: object, reason: str, position: str | None = None) -> None:
        where = f" at {position}" if position else ""
        super().__init__(f"{path}{where}: {reason}")
        self.path = path
        self.reason = reason
        self.position = position
