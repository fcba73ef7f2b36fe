"""Built-in sources. Importing this package registers every connector module in it."""

from connections.sources import files, github, postgresql, stub  # noqa: F401
