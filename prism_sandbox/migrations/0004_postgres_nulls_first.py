"""On PostgreSQL, the property indexes keep NULL first, as the sandbox sorts it.

The sandbox sorts NULL as the smallest value on both engines (SQLite's own order). A
PostgreSQL B-tree keeps NULL last by default, so `ORDER BY value ASC NULLS FIRST` (and
its reverse, `DESC NULLS LAST`) could not be read from the index: sorting 1M contacts by
a number took 1.5 s against SQLite's 36 ms. SQLite's CREATE INDEX has no NULLS clause
(and needs none), so the indexes are rebuilt, under the same names, on PostgreSQL only.
"""

from django.db import migrations
from django.db.models import Index
from django.db.models.expressions import OrderBy


def _nulls_first(index: Index) -> Index:
    team, segment, value, *tie_breaks = index.expressions
    return Index(team, segment, OrderBy(value, nulls_first=True), *tie_breaks, name=index.name, condition=index.condition)


def _rebuild(apps, schema_editor, change) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    Record = apps.get_model("prism_sandbox", "Record")
    for index in Record._meta.indexes:
        if index.name.startswith("rec_p_"):
            schema_editor.remove_index(Record, index)
            schema_editor.add_index(Record, change(index))


def forwards(apps, schema_editor) -> None:
    _rebuild(apps, schema_editor, _nulls_first)


def backwards(apps, schema_editor) -> None:
    _rebuild(apps, schema_editor, lambda index: index)


class Migration(migrations.Migration):
    dependencies = [("prism_sandbox", "0003_segment")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
