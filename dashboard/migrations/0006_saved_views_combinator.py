"""Saved views: the filters' combinator is `combinator=AND|OR` in a table's URL (the API's
word), no longer `join=and|or`. Old bookmarks are still read (list_state.parse)."""

from urllib.parse import parse_qsl, urlencode

from django.db import migrations


def _renamed(query_string: str, old: str, new: str, value) -> str | None:
    params = parse_qsl(query_string, keep_blank_values=True)
    if not any(key == old for key, _ in params):
        return None
    return urlencode([(new, value(v)) if key == old else (key, v) for key, v in params])


def _rewrite(apps, old: str, new: str, value) -> None:
    SavedView = apps.get_model("dashboard", "SavedView")
    for view in SavedView.objects.filter(query_string__contains=f"{old}=").only("pk", "query_string"):
        rewritten = _renamed(view.query_string, old, new, value)
        if rewritten is not None:
            SavedView.objects.filter(pk=view.pk).update(query_string=rewritten)


def join_to_combinator(apps, schema_editor) -> None:
    _rewrite(apps, "join", "combinator", str.upper)


def combinator_to_join(apps, schema_editor) -> None:
    _rewrite(apps, "combinator", "join", str.lower)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0005_import_runs_keep_less"),
    ]

    operations = [migrations.RunPython(join_to_combinator, combinator_to_join)]
