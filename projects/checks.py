from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_is_not_the_development_default(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.INSECURE_DEFAULT_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the built-in development key.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="projects.E001",
            )
        ]
    return []
