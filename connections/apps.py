from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        from connections import sources  # noqa: F401  (registers the built-in sources)
        from connections.api import schema  # noqa: F401  (OpenAPI extensions)
