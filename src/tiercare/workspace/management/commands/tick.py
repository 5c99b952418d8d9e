"""`manage.py tick`: the periodic job (deadlines, reminders, escalations) of every workflow app.

Run it from cron every minute, or as a long-running process with `--every 60` beside the task worker
(`manage.py db_worker`). Each tick is idempotent: running it twice in a minute changes nothing the second time.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from tiercare.workspace.panels import run_ticks


class Command(BaseCommand):
    help = "Run the periodic job of every workflow app once, or every N seconds with --every."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0: once)")

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every < 0:
            raise ValueError("--every must be 0 or more")
        while True:
            result = run_ticks(timezone.now())
            self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} tick: {result}")
            if not every:
                return
            time.sleep(every)
