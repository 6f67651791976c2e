"""Create the first admin account once, and say how to log in every time."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the admin user if missing (password from ADMIN_PASSWORD or generated)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("ADMIN_USERNAME", "admin"))
        parser.add_argument("--email", default=os.environ.get("ADMIN_EMAIL", "admin@example.com"))

    def handle(self, *args, username: str, email: str, **options):
        password_file = Path(settings.VAR_DIR) / "admin-password.txt"
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, email=email, password=password)
            if not os.environ.get("ADMIN_PASSWORD"):
                password_file.write_text(password + "\n")
                password_file.chmod(0o600)
            self.stdout.write(self.style.SUCCESS(f"Created admin user {username!r}."))
        elif os.environ.get("ADMIN_PASSWORD"):
            password = os.environ["ADMIN_PASSWORD"]
        elif password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = "(unchanged; set ADMIN_PASSWORD and run again to reset it)"  # noqa: S105
        if user is not None and os.environ.get("ADMIN_PASSWORD"):
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write(f"Admin login: username {username!r}, password {password}")
