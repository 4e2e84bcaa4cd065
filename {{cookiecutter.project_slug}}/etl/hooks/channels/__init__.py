"""Where failure notifications go besides the run's log: one module per channel.

Every module in this folder is a channel: a `send(message, logger)` function that
delivers one message (and may raise: `etl.hooks.notify` logs the failure and carries on).
A project made without notifications has none. To add a channel (Microsoft Teams, email),
add a module here.
"""

from __future__ import annotations

import importlib
import pkgutil

CHANNELS = [
    importlib.import_module(f"{__name__}.{module.name}")
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name)
]
