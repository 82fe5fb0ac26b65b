"""The ``curbside`` command line. Thin: every command calls `curbside.services`.

Each command's module is imported when that command runs (`curbside.cli.main.COMMAND_MODULES`);
`load_commands()` imports them all (for code that walks every command).
"""

from __future__ import annotations

from curbside.cli.main import app, load_commands

__all__ = ["app", "load_commands"]
