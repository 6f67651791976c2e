"""Demo copy for the demo campaigns, and one queued generation (run by `make run`)."""

from django.core.management.base import BaseCommand

from marketing.demo import demo_copy_build, demo_generation_queue


class Command(BaseCommand):
    help = (
        "Create the house brand voice, write and approve a few checked variants per campaign "
        "without variants, and queue one ad copy generation job (it runs when a worker "
        "starts). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-generation", action="store_true", help="do not queue the generation job"
        )

    def handle(self, *args, **options):
        demo_copy_build(log=self.stdout.write)
        if not options["no_generation"]:
            demo_generation_queue(log=self.stdout.write)
