from __future__ import annotations

from django import forms

from connections.models import ApiKey


class ApiKeyAdminCreateForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=ApiKey.MIN_DAYS,
        max_value=ApiKey.MAX_DAYS,
        initial=90,
        help_text="Days until the key expires (1-365).",
    )

    class Meta:
        model = ApiKey
        fields = ["organization", "name"]
