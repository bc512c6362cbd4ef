"""``python -m app.cli``: the command line."""

from app.cli import main

main()
