from django.core.management.base import BaseCommand, CommandError

from projects.services import secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Encrypt every project secret and hook secret anew with the first of SECRETS_ENCRYPTION_KEYS, "
        "after which the other keys can be removed."
    )

    def handle(self, *args, **options):
        done, unreadable = secrets_reencrypt()
        self.stdout.write(f"Re-encrypted {done} secret(s) with the first key.")
        if unreadable:
            for problem in unreadable:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(unreadable)} secret(s) could not be decrypted and were left as they are: "
                "keep the key they need until they are set again."
            )
