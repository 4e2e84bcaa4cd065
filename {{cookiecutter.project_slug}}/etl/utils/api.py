"""Whether the Prefect API a command is about to use answers, said in one line if not.

A shell keeps an exported `PREFECT_API_URL` (or an active profile's) after its server has
stopped; Prefect then fails deep in its client with a traceback. The flows' command
lines call `check_api` first.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from etl.utils.settings import ConfigurationError


def check_api() -> None:
    """Raise ConfigurationError when nothing answers at the configured API. Without one,
    Prefect starts a temporary local server: nothing to check."""
    from prefect.settings import get_current_settings  # imported late: settings without Prefect

    url = get_current_settings().api.url
    if not url:
        return
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=10):  # noqa: S310
            return
    except urllib.error.HTTPError as answered:
        # A server answered, if not with 200 (a Prefect Cloud workspace URL may answer
        # 401 or 404 here): it is there, and Prefect's own client says what else is wrong.
        answered.close()
        return
    except (OSError, ValueError):
        pass
    raise ConfigurationError(
        f"no Prefect server answers at {url} (PREFECT_API_URL or your Prefect profile): "
        "start it, or `unset PREFECT_API_URL` to run on a temporary local server"
    )
