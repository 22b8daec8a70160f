"""Re-encrypt every stored personal Prism key with the newest encryption key."""

from django.core.management.base import BaseCommand
from django.db import transaction

from dashboard import key_vault
from dashboard.models import PrismKey


class Command(BaseCommand):
    help = (
        "Re-encrypt stored Prism keys with the first key of PRISM_KEY_ENCRYPTION_KEYS. "
        "Rotation: put a new key first, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        rotated, unreadable = 0, []
        with transaction.atomic():
            for stored in PrismKey.objects.select_for_update().select_related("user"):
                try:
                    stored.token = key_vault.rotate(stored.token)
                except key_vault.VaultError:
                    unreadable.append(stored.user.get_username())
                    continue
                stored.save(update_fields=["token"])
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} key{'s' if rotated != 1 else ''}.")
        if unreadable:
            self.stderr.write(f"Could not read the keys of: {', '.join(unreadable)} (they must connect their key again).")
