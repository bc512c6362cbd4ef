"""The service's access log (logger ``ballot_routing.access``): who asked what, and how it went.

One line per request: the client's address, the caller's key (its id, never the key itself),
the request line with any key in its query string redacted, the status, the bytes of the body
and the time to the end of the answer (status 0: the caller went away before an answer was
begun)::

    127.0.0.1:53422 key=5f1c... "GET /plans/3a9e.../route.csv?lang=id HTTP/1.1" 200 18211 B 41.3 ms

Polls of a plan's live status are the bulk of the traffic in election week: hundreds of
dashboards, every second, nearly all answered 304 (not modified), and all at once with a 200
after each change. With ``BALLOT_ACCESS_LOG=summary`` (the default) the status polls answered
200 or 304 are counted and written as one line per plan and status every
``BALLOT_ACCESS_LOG_SUMMARY_S`` seconds (60), with how many keys polled: a poll costs a
counter, not a line (a line costs the worker more than answering the poll). Every other request,
and every status poll refused or failed, is written as it is answered. ``full`` writes every
request; ``off`` none.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from collections import Counter
from typing import Literal

from starlette.types import Scope

from app.auth import redact

log = logging.getLogger("ballot_routing.access")

Mode = Literal["summary", "full", "off"]
_STATUS_SUFFIX = "/status"
# What a client sends is written with its control characters (line breaks, NUL, escape
# sequences), spaces, the quotes that delimit the request line, backslashes and every character
# outside printable ASCII as \xNN / \uNNNN (as nginx's log escapes): a request is always one
# line of fields split by spaces, and can never write a line of its own.
_UNSAFE = re.compile(r'[^\x21-\x7e]|["\\]')


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    return (
        f"\\x{code:02X}"
        if code < 0x100
        else f"\\u{code:04X}"
        if code < 0x10000
        else f"\\U{code:08X}"
    )


def escape(text: str) -> str:
    """``text`` from a client, safe to write inside one quoted log field."""
    return _UNSAFE.sub(_escape_char, text)


class AccessLog:
    """The access log of one API worker; ``run`` writes the summaries."""

    def __init__(self, mode: Mode, summary_s: float) -> None:
        self.mode = mode
        self.summary_s = summary_s
        self._polls: Counter[tuple[str, int, str]] = Counter()  # (plan path, status, key id)
        self._since = time.monotonic()

    def request(self, scope: Scope, status: int, size: int, started: float) -> None:
        """Note one answered request (``started``: ``time.perf_counter()`` at its arrival)."""
        if self.mode == "off" or not log.isEnabledFor(logging.INFO):
            return
        key = scope.get("state", {}).get("key")
        key_id = key.id if key is not None else "-"
        path = scope["path"]
        if self.mode == "summary" and status in (200, 304) and path.endswith(_STATUS_SUFFIX):
            self._polls[(path, status, key_id)] += 1
            return
        client = scope.get("client")
        query = scope.get("query_string", b"")
        target = path + ("?" + query.decode("latin-1") if query else "")
        log.info(
            '%s key=%s "%s %s HTTP/%s" %d %d B %.1f ms',
            f"{client[0]}:{client[1]}" if client else "-",
            key_id,
            escape(scope.get("method", "-")),
            escape(redact(target)),
            escape(scope.get("http_version", "1.1")),
            status,
            size,
            (time.perf_counter() - started) * 1000,
        )

    def summarise(self) -> None:
        """Write the status polls counted since the last summary: a line per plan and
        status."""
        now = time.monotonic()
        counted, self._polls = self._polls, Counter()
        seconds, self._since = now - self._since, now
        totals: dict[tuple[str, int], list[int]] = {}
        for (path, status, _key), n in counted.items():
            polls_keys = totals.setdefault((path, status), [0, 0])
            polls_keys[0] += n
            polls_keys[1] += 1
        for (path, status), (polls, keys) in sorted(totals.items()):
            log.info(
                '"GET %s" %d x %d from %d key(s) in the last %.0f s (status polls: counted, '
                "not written one by one)",
                escape(path),
                status,
                polls,
                keys,
                seconds,
            )

    async def run(self) -> None:
        """Write the summaries every ``summary_s`` until cancelled (and once more then)."""
        try:
            while True:
                await asyncio.sleep(self.summary_s)
                self.summarise()
        finally:
            self.summarise()


def to_stderr() -> None:
    """Send the access log to standard error, once (the server's processes; in-process test
    clients leave it to the root logger and its level)."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
