from django import forms
from django.http import QueryDict

from .list_state import CURSOR_VAR, TRAIL_VAR


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, strip=True, label="View name")
    shared = forms.BooleanField(required=False, label="Share with the team")
    query_string = forms.CharField(required=False, widget=forms.HiddenInput, max_length=8000)

    def __init__(self, *args, instance_name: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance_name = instance_name

    def clean_query_string(self) -> str:
        # A view is a table state, not a position in it: no cursors.
        params = QueryDict(self.cleaned_data["query_string"].lstrip("?"), mutable=True)
        for name in (CURSOR_VAR, TRAIL_VAR, "view"):
            params.pop(name, None)
        return params.urlencode()
