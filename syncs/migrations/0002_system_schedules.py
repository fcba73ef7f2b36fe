"""The system schedules: dispatch due syncs every minute, sweep stale jobs every 5 minutes."""

from django.db import migrations

SCHEDULES = [
    ("weft: run due syncs", "syncs.tasks.run_due_syncs", 1),
    ("weft: sweep stale jobs", "syncs.tasks.sweep_stale_jobs", 5),
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )


def remove(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("syncs", "0001_initial"), ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]
    operations = [migrations.RunPython(create, remove)]
