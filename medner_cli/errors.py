"""The two kinds of failure every command reports, and what the shell is told about each.

``commands.exit_codes`` maps them to exit statuses for every command alike: a usage error
(options, a model folder) is 2, data that cannot be used is 1.
"""

from __future__ import annotations


class UsageError(Exception):
    """Options that cannot work together, or a model folder that cannot be used: exit status 2."""


class DataError(Exception):
    """Input that cannot be used (unreadable, empty, unpaired, mismatched); the message names
    the file and, where there is one, the line: exit status 1."""


class OutputError(Exception):
    """Output that cannot be written (a folder that cannot be made, a full disk); the message
    names the path: exit status 1, and no partial file is left."""
