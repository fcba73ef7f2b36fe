"""Rate-limit counters in an UNLOGGED table on PostgreSQL.

Every API request writes a counter. A logged table makes each of those commits wait for the
WAL to reach disk (5-8 ms on the development machine); an unlogged one does not. The price:
after a PostgreSQL crash the table is emptied, so each organization's budget starts afresh
for at most the current minute. Other engines keep a plain table.
"""

from django.db import migrations

TABLE = "connections_ratelimitwindow"


def set_unlogged(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET UNLOGGED")


def set_logged(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0003_oauth_sessions_auth_providers"),
    ]

    operations = [migrations.RunPython(set_unlogged, set_logged, elidable=False)]
