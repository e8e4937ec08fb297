from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and access"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)
