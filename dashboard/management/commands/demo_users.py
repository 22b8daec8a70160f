"""Create one demo user per role (Viewer, Editor, Admin) for local demos; prints the logins."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from dashboard.roles import Role

DEMO_USERS = {Role.VIEWER: "viewer", Role.EDITOR: "editor", Role.ADMIN: "admin"}


class Command(BaseCommand):
    help = "Create (or reset) one demo user per role. Refuses to run with DEBUG off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are for local demos only (DEBUG is off).")
        password = os.environ.get("DEMO_PASSWORD", "prism-demo")
        User = get_user_model()
        for role, username in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            user.set_password(password)
            # The admin user may also open Django's admin (sandbox keys, raw records).
            user.is_staff = user.is_superuser = role is Role.ADMIN
            user.save()
            user.groups.set([Group.objects.get(name=role.value)])
            self.stdout.write(f"{role.value:<7} user: {username:<7} password: {password}")
