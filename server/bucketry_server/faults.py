"""Test-only fault injection: crash the server at a named point of a write protocol.

``BUCKETRY_TEST_CRASH_AT=<point>`` makes :func:`crash_point` SIGKILL the process when the code
reaches that point, so durability tests can crash it at an exact moment instead of guessing with
timers. Unset (always, outside tests) it does nothing.
"""

from __future__ import annotations

import os
import signal

ENV = "BUCKETRY_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL (no clean-up at all) if ``BUCKETRY_TEST_CRASH_AT`` equals
    ``name``; otherwise return at once. Raises nothing."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
