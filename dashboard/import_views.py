"""The CSV import wizard: upload or paste, map columns and preview, import, follow progress, results."""

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header

from prism_client import OBJECT_TYPES_BY_SEGMENT

from . import csv_import, importing, prism
from .models import ImportRun
from .permissions import AUDIT, IMPORT
from .roles import perm
from .routing import DashboardView, RecordTypeView

RESULTS_PER_PAGE = 50
BIG_FIELDS = ("csv_text", "failed_csv", "results", "labels", "preview_rows")
SAMPLE_VALUES = 3
SHOW_CHOICES = (("", "All rows"), (csv_import.FAILED, "Failed"), (csv_import.CREATED, "Created"), (csv_import.UPDATED, "Updated"))


class SourceForm(forms.Form):
    """A CSV file or pasted CSV text; clean() reads it (decoding, header, size checks)."""

    file = forms.FileField(
        label="CSV file", required=False, allow_empty_file=True, widget=forms.FileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"})
    )
    text = forms.CharField(
        label="Or paste CSV text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        upload, text = data.get("file"), data.get("text") or ""
        if upload and text.strip():
            raise forms.ValidationError("Choose a file or paste text, not both.")
        if not upload and not text.strip():
            raise forms.ValidationError("Choose a CSV file or paste CSV text.")
        try:
            if upload:
                csv_import.check_size(upload.size)
                data["csv_text"] = csv_import.decode(upload.read())
            else:
                data["csv_text"] = csv_import.decode(text.encode("utf-8"))
        except csv_import.CsvProblem as exc:
            raise forms.ValidationError(str(exc)) from None
        data["filename"] = upload.name[:255] if upload else ""
        return data


class MappingForm(forms.Form):
    """One select per CSV column (a property or skip), and how rows match existing records."""

    def __init__(self, headers, properties, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = tuple(headers)
        choices = [("", "— skip —"), *((p.slug, p.name) for p in csv_import.importable(properties))]
        for index, column in enumerate(self.headers):
            self.fields[f"col{index}"] = forms.ChoiceField(label=column, choices=choices, required=False)
        self.fields["dedupe_by"] = forms.ChoiceField(
            label="Match existing records by",
            choices=[("", "Nothing: always create new records"), *((p.slug, p.name) for p in csv_import.dedupe_candidates(properties))],
            required=False,
            help_text="A row whose value matches one existing record updates that record instead of creating one.",
        )
        self.fields["case_insensitive"] = forms.BooleanField(label="Ignore upper and lower case when matching", required=False)

    @staticmethod
    def initial_for(run: ImportRun) -> dict:
        initial = {f"col{i}": run.mapping.get(column, "") for i, column in enumerate(run.headers)}
        return {**initial, "dedupe_by": run.dedupe_by, "case_insensitive": run.case_insensitive}

    def column_fields(self) -> list:
        return [self[f"col{i}"] for i in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        picked = ((column, self.cleaned_data.get(f"col{i}")) for i, column in enumerate(self.headers))
        return {column: slug for column, slug in picked if slug}


def run_or_404(request: HttpRequest, pk, *, to_read: bool = False) -> ImportRun:
    """The person's own run; to read (its page, progress, failed rows), Admins, who see the
    audit trail that links every import, may open anyone's."""
    # The file is read only when it is needed (to recount, import or archive): not on every page.
    runs = ImportRun.objects.defer("csv_text", "failed_csv")
    if not (to_read and request.user.has_perm(perm(AUDIT))):
        runs = runs.filter(user=request.user)
    return get_object_or_404(runs, pk=pk)


class ImportUpload(RecordTypeView):
    """Step 1: a CSV file (or pasted text), read once; its summary is kept with the new run."""

    route = "import/<str:segment>/"
    url_name = "import-upload"
    permission = IMPORT
    writable_only = True
    template_name = "imports/upload.html"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        return self.page(SourceForm())

    def post(self, request: HttpRequest, segment: str) -> HttpResponse:
        form = SourceForm(request.POST, request.FILES)
        if form.is_valid():
            # The one reading of the file: what the mapping page shows is kept with the run.
            text, properties = form.cleaned_data["csv_text"], prism.schema(segment).properties
            try:
                summary = csv_import.summarize(text, properties)
            except csv_import.CsvProblem as exc:
                form.add_error(None, str(exc))
            else:
                run = ImportRun.objects.create(
                    user=request.user,
                    segment=segment,
                    filename=form.cleaned_data["filename"],
                    csv_text=text,
                    headers=list(summary.headers),
                    row_count=summary.row_count,
                    preview_rows=summary.first_rows,
                    mapping=summary.mapping,
                    checked={
                        "key": importing.check_key(summary.mapping, properties),
                        "bad_rows": summary.bad_rows,
                        "invalid": [[number, list(row)] for number, row in summary.invalid],
                    },
                )
                return redirect("import-run", run.pk)
        return self.page(form, status=422)

    def page(self, form: "SourceForm", status: int = 200) -> HttpResponse:
        segment = self.object_type.segment
        context = {
            "object_type": self.object_type,
            "form": form,
            "recent": ImportRun.objects.filter(user=self.request.user, segment=segment).defer(*BIG_FIELDS)[:5],
            "max_rows": csv_import.MAX_ROWS,
            "max_size": csv_import.megabytes(csv_import.MAX_BYTES),
        }
        return render(self.request, self.template_name, context, status=status)


class ImportRunPage(DashboardView):
    """A draft shows the mapping step; a started run its progress, then its results."""

    route = "imports/<uuid:pk>/"
    url_name = "import-run"
    permission = IMPORT
    template_name = "imports/run.html"

    def get(self, request: HttpRequest, pk) -> HttpResponse:
        run = run_or_404(request, pk, to_read=True)
        if run.status == ImportRun.Status.DRAFT:
            return mapping_step(request, run)
        return render(request, self.template_name, status_context(request, run, importing.progress_of(run)))

    def post(self, request: HttpRequest, pk) -> HttpResponse:
        run = run_or_404(request, pk)
        if run.status == ImportRun.Status.DRAFT:
            return mapping_step(request, run)
        return redirect(self.url_name, run.pk)  # started already: a second submit changes nothing


def mapping_step(request: HttpRequest, run: ImportRun) -> HttpResponse:
    schema = prism.schema(run.segment)
    form = MappingForm(run.headers, schema.properties, request.POST or None, initial=MappingForm.initial_for(run))
    status, api_error = 200, ""
    if form.is_bound and form.is_valid():
        run.mapping, run.dedupe_by = form.mapping(), form.cleaned_data["dedupe_by"]
        run.case_insensitive = form.cleaned_data["case_insensitive"]
        run.save(update_fields=["mapping", "dedupe_by", "case_insensitive"])
        if request.POST.get("action") == "import":
            if csv_import.check_mapping(run.headers, run.mapping, schema.properties, run.dedupe_by).ok:
                try:
                    importing.start(run, schema, request.user)
                    return redirect("import-run", run.pk)
                except importing.StartFailed as exc:
                    status, api_error = 503, str(exc)
            else:
                status = 422
    elif form.is_bound:
        status = 422
    context = {**preview_context(run, schema, form), "api_error": api_error}
    template = "imports/mapping.html#preview" if request.htmx else "imports/mapping.html"
    return render(request, template, context, status=200 if request.htmx else status)


def preview_context(run: ImportRun, schema, form: MappingForm) -> dict:
    table = importing.preview_table(run)
    props = schema.properties
    preview = list(csv_import.plan(table, run.mapping, props, limit=csv_import.PREVIEW_ROWS, with_cells=True))
    bad_rows = importing.bad_rows(run, props)
    invalid = importing.invalid_rows(run, props)
    samples = [[row[i].strip() for row in table.rows if i < len(row) and row[i].strip()][:SAMPLE_VALUES] for i in range(len(table.headers))]
    by_slug = {p.slug: p for p in props}
    auto = csv_import.auto_map(table.headers, props)
    return {
        "object_type": OBJECT_TYPES_BY_SEGMENT[run.segment],
        "run": run,
        "form": form,
        "columns": [
            {
                "name": c,
                "field": f,
                "samples": s,
                "prop": by_slug.get(run.mapping.get(c, "")),
                "auto": auto.get(c) == run.mapping.get(c) and c in auto,
            }
            for c, f, s in zip(table.headers, form.column_fields(), samples, strict=True)
        ],
        "report": csv_import.check_mapping(table.headers, run.mapping, props, run.dedupe_by),
        "preview": preview,
        "invalid": invalid,
        "shown_rows": preview + invalid,
        "invalid_not_shown": bad_rows - len(invalid) - sum(not row.ok for row in preview),
        "bad_rows": bad_rows,
        "good_rows": run.row_count - bad_rows,
    }


class ImportProgress(DashboardView):
    """The progress fragment the run page polls: reads the API's jobs; the results once done."""

    route = "imports/<uuid:pk>/progress/"
    url_name = "import-progress"
    permission = IMPORT
    template_name = "imports/run.html#status"

    def get(self, request: HttpRequest, pk) -> HttpResponse:
        run = run_or_404(request, pk, to_read=True)
        if not request.htmx or run.status == ImportRun.Status.DRAFT:
            return redirect("import-run", run.pk)
        return render(request, self.template_name, status_context(request, run, importing.poll(run)))


def dedupe_label(run: ImportRun) -> str:
    prop = prism.schema(run.segment).get(run.dedupe_by) if run.dedupe_by else None
    return prop.name if prop is not None else run.dedupe_by


def status_context(request: HttpRequest, run: ImportRun, progress: importing.Progress) -> dict:
    context = {
        "object_type": OBJECT_TYPES_BY_SEGMENT[run.segment],
        "run": run,
        "progress": progress,
        "running": run.status == ImportRun.Status.RUNNING,
        # Named by its label, not its slug ("rows matching … by Email").
        "dedupe_label": dedupe_label(run),
        "page": None,
        "show": "",
        "show_choices": SHOW_CHOICES,
    }
    if context["running"]:
        return context
    importing.archive(run)  # a run that ended before runs let go of their file
    counts = csv_import.tally(run.results)
    show = request.GET.get("show", "")
    show = show if show in dict(SHOW_CHOICES) else ""
    rows = [(i, r) for i, r in enumerate(run.results) if not show or r["status"] == show]
    page = Paginator(rows, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    labels = run.labels
    page.object_list = [{"number": i + 1, "result": r, "label": labels[i] if i < len(labels) else ""} for i, r in page.object_list]
    # (Asked of the database: the file itself is not loaded for this page.)
    kept = ImportRun.objects.filter(pk=run.pk).exclude(failed_csv="").exists()
    return {
        **context,
        "counts": counts,
        "page": page,
        "show": show,
        "failed_file_kept": kept,
        "retention_days": settings.IMPORT_RETENTION_DAYS,
    }


class ImportFailedRows(DashboardView):
    """The failed rows as CSV: the original columns plus `error`, ready to fix and import again."""

    route = "imports/<uuid:pk>/failed.csv"
    url_name = "import-failed"
    permission = IMPORT

    def get(self, request: HttpRequest, pk) -> HttpResponse:
        run = run_or_404(request, pk, to_read=True)
        if run.status == ImportRun.Status.DRAFT:
            body = csv_import.failed_rows_csv(importing.table_of(run), [])  # nothing failed yet: the header
        elif run.status == ImportRun.Status.RUNNING:
            body = csv_import.failed_rows_csv(importing.table_of(run), run.results)  # the rows failed so far
        else:
            importing.archive(run)
            body = run.failed_csv
            if not body:
                raise Http404(f"The failed rows are deleted {settings.IMPORT_RETENTION_DAYS} days after an import.")
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        stem = (run.filename.rsplit(".", 1)[0] if run.filename else "") or run.segment
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}-failed-rows.csv")
        return response
