from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "syncs"
    verbose_name = "Syncs"

    def ready(self) -> None:
        # Subscribes the search index to the sync engine's entity hooks.
        from syncs.search import index  # noqa: F401
