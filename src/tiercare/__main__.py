"""`python -m tiercare <command>` runs a management command, e.g. `python -m tiercare load-demo`."""

from __future__ import annotations

import os
import sys

ALIASES = {"load-demo": "load_demo"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiercare.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    args[0] = "tiercare"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
