"""``ballot-routing serve``: the service under granian or uvicorn."""

from __future__ import annotations

import typer

from app.cli.base import (
    cli,
)
from app.config import get_settings


@cli.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on (default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default 8000)"),
    workers: int = typer.Option(
        1, "--workers", min=1, help="API worker processes (share one queue; use PostgreSQL)"
    ),
    server: str = typer.Option(
        None, "--server", help="HTTP server: granian or uvicorn (default BALLOT_SERVER, granian)"
    ),
) -> None:
    """Start the HTTP service with the embedded defaults."""
    from typing import get_args

    from app.config import ServerName

    settings = get_settings()
    name = server or settings.server
    if name not in get_args(ServerName):
        raise typer.BadParameter(f"{name!r} is not one of granian, uvicorn", param_hint="--server")
    if name == "uvicorn":
        import uvicorn

        # The same app factory, address, workers and limits under uvicorn, on uvloop and
        # httptools where they are installed ("auto"). On SIGTERM or SIGINT each worker ends its
        # status streams and long polls at once (the app's lifespan puts its own handler ahead
        # of uvicorn's, app.main._before_stop_signals); uvicorn stops accepting, waits for the
        # open responses, then runs the app's shutdown (jobs released). A response still open
        # after 10 s is cancelled and the shutdown runs all the same.
        uvicorn.run(
            "app.main:app_from_environment",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            loop="auto",
            http="auto",
            ws="none",
            lifespan="on",  # a start-up that fails stops the server
            # Connections and requests one worker holds at once (a status stream holds one for
            # as long as it is open); beyond it uvicorn answers 503 at once, where granian makes
            # the request wait.
            limit_concurrency=settings.max_open_requests,
            backlog=2048,
            timeout_graceful_shutdown=10,
            access_log=False,  # the app writes its own (app.accesslog)
            proxy_headers=False,  # as under granian: the client is the connection's peer
            server_header=False,
        )
        return
    from granian import Granian
    from granian.constants import Interfaces

    # granian: the HTTP protocol in Rust, the app in Python (issue 16: a poll answered from memory
    # costs the server a third of what it cost under uvicorn). Each worker process builds its
    # app from the same environment (``app_from_environment``), so one worker or several start
    # the same way. On SIGTERM or SIGINT the main process tells the workers to stop; each ends
    # its status streams and long polls at once, then runs the app's shutdown (jobs released).
    # A worker that has not stopped after this many seconds is killed (its plans are taken up
    # again at the next start as abandoned ones).
    Granian(
        "app.main:app_from_environment",
        factory=True,
        interface=Interfaces.ASGI,
        address=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # Each open status stream holds one of these places for as long as it is open: a
        # thousand dashboards streaming must leave room for the polls (granian's default is
        # the listen backlog, 1024, which they would fill).
        backpressure=settings.max_open_requests,
        backlog=2048,
        websockets=False,
        log_access=False,  # the app writes its own (app.accesslog)
        workers_kill_timeout=10,
    ).serve()
