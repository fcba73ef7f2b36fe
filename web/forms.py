"""Forms of the pages: the shape of what a person typed. The rules live in the services, whose
``FieldInvalid`` errors ``add_service_errors`` puts next to the field that caused them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from connections.exceptions import FieldInvalid
from connections.models import ApiKey, AuthMethod, AuthProviderConnection
from connections.sources.base import BaseSource, SourceField
from syncs import schedules
from syncs.search.service import STRATEGIES

SCHEDULE_CHOICES = [
    ("daily", "Daily, at this time of day"),
    ("hourly", "Hourly, at this minute"),
    ("weekly", "Weekly, on this day at this time"),
    ("custom", "Custom (cron)"),
    ("manual", "Manual only (no schedule)"),
]
# Methods a person can complete in a form on this server (OAuth in the browser is not yet).
FORM_AUTH_METHODS = {
    AuthMethod.OAUTH_BROWSER: "Connect with {provider} (opens {provider}, then comes back)",
    AuthMethod.DIRECT: "Credentials",
    AuthMethod.OAUTH_TOKEN: "Access token",
    AuthMethod.OAUTH_BYOC: "Connect with your own {provider} OAuth app",
    AuthMethod.AUTH_PROVIDER: "Through an auth provider (Composio, Pipedream)",
}
OAUTH_FLOW_METHODS = (AuthMethod.OAUTH_BROWSER, AuthMethod.OAUTH_BYOC)


def add_service_errors(
    form: forms.Form, error: FieldInvalid, field_for: Callable[[tuple], str | None]
) -> None:
    """Attach each of a service's field errors to the form field its path names."""
    for path, message in error.errors.items():
        name = field_for(path)
        form.add_error(name if name in form.fields else None, message)


class LoginForm(AuthenticationForm):
    """Django's login form; accounts are named by their email address (lowercase)."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].lower()


class CollectionForm(forms.Form):
    name = forms.CharField(
        max_length=64, help_text="At least 4 characters, such as “Engineering docs”."
    )
    readable_id = forms.CharField(
        label="Readable id",
        max_length=63,
        required=False,
        help_text="Optional: used in URLs and the API. Generated from the name when empty.",
    )


class CollectionRenameForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="At least 4 characters.")


class ScheduleFields(forms.Form):
    """A schedule preset, or a cron expression when the preset is "custom"."""

    schedule = forms.ChoiceField(choices=SCHEDULE_CHOICES, initial="daily", label="Schedule")
    cron = forms.CharField(
        required=False,
        label="Cron expression",
        help_text="Five fields, in UTC: minute hour day month weekday, such as 0 6 * * 1.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def chosen_cron(self) -> str | None:
        """The cron to store (None for manual); the schedule service checks it."""
        preset = self.cleaned_data["schedule"]
        if preset == "manual":
            return None
        if preset == "custom":
            return self.cleaned_data.get("cron") or ""
        return schedules.preset_cron(preset, timezone.now())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("schedule") == "custom" and not data.get("cron"):
            self.add_error("cron", "Type a cron expression, or choose a preset.")
        return data


class ScheduleForm(ScheduleFields):
    @classmethod
    def for_cron(cls, cron: str | None) -> ScheduleForm:
        preset = "custom" if cron else "manual"
        return cls(initial={"schedule": preset, "cron": cron or ""})


def _field_for(spec: SourceField) -> forms.Field:
    required = spec.required and spec.default is None
    common = {
        "label": spec.title,
        "required": required,
        "help_text": spec.description,
        "initial": spec.default,
    }
    if spec.enum_values:
        choices = [(value, value) for value in spec.enum_values]
        return forms.ChoiceField(
            choices=[("", "—"), *choices] if not required else choices, **common
        )
    if spec.type == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if spec.type == "integer":
        return forms.IntegerField(**common)
    if spec.type == "number":
        return forms.FloatField(**common)
    if spec.type == "array":
        help_text = " ".join(filter(None, [spec.description, "Separate items with commas."]))
        initial = ", ".join(spec.default) if isinstance(spec.default, list) else spec.default
        return forms.CharField(**{**common, "help_text": help_text, "initial": initial})
    if spec.type == "object":
        return forms.JSONField(**common, widget=forms.Textarea(attrs={"rows": 4}))
    if spec.is_secret:
        return forms.CharField(
            **common, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
        )
    return forms.CharField(**common)


def auth_method_choices(
    source_cls: type[BaseSource], provider_accounts: list[AuthProviderConnection] | None = None
) -> list[tuple[str, str]]:
    """The methods this server can use for the source (OAuth only with a provider app; an
    auth provider only when the organization registered one that serves the source)."""
    from connections.oauth.providers import available_auth_methods, provider_for

    provider = provider_for(source_cls)
    label = provider.label if provider is not None else source_cls.name
    available = available_auth_methods(source_cls)
    if not provider_accounts:
        available = [method for method in available if method != AuthMethod.AUTH_PROVIDER]
    return [
        (method, text.format(provider=label))
        for method, text in FORM_AUTH_METHODS.items()
        if method in available
    ]


class SourceConnectionForm(ScheduleFields):
    """Generated from a source's declared auth and config fields.

    Field names: ``auth_<name>`` for credentials, ``config_<name>`` for configuration.
    Secrets are password inputs that are never rendered back, even after an error.
    """

    name = forms.CharField(
        min_length=4, max_length=42, required=False, help_text="Default: “<Source> Connection”."
    )
    sync_immediately = forms.BooleanField(
        required=False, initial=True, label="Start the first sync now"
    )
    field_order = ["name"]

    def __init__(
        self,
        *args,
        source_cls: type[BaseSource],
        provider_accounts: list[AuthProviderConnection] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source_cls = source_cls
        self.provider_accounts = provider_accounts or []
        self.fields["name"].help_text = f"Default: “{source_cls.name} Connection”."
        methods = (
            auth_method_choices(source_cls, self.provider_accounts)
            if source_cls.needs_credentials()
            else []
        )
        self.methods = methods
        if len(methods) > 1:
            self.fields["auth_method"] = forms.ChoiceField(
                choices=methods,
                initial=methods[0][0],
                widget=forms.RadioSelect,
                label="Authentication",
            )
        for spec in source_cls.auth_fields:
            self.fields[f"auth_{spec.name}"] = _field_for(spec)
        if AuthMethod.OAUTH_BYOC in dict(methods):
            self.fields["client_id"] = forms.CharField(
                required=False, label="OAuth client id", help_text="Of your own OAuth app."
            )
            self.fields["client_secret"] = forms.CharField(
                required=False,
                strip=False,
                label="OAuth client secret",
                help_text="Stored encrypted and used for every token refresh.",
                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
            )
        if AuthMethod.AUTH_PROVIDER in dict(methods):
            self._add_provider_fields()
        if AuthMethod.OAUTH_TOKEN in dict(methods):
            self.fields["access_token"] = forms.CharField(
                required=False,
                strip=False,
                label="Access token",
                help_text="An OAuth access token you already hold.",
                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
            )
        for spec in source_cls.config_fields:
            self.fields[f"config_{spec.name}"] = _field_for(spec)
        if len(methods) > 1 or (methods and methods[0][0] != AuthMethod.DIRECT):
            # Which credential fields are needed depends on the method chosen.
            for spec in source_cls.auth_fields:
                self.fields[f"auth_{spec.name}"].required = False
        self.order_fields(
            [
                "name",
                "auth_method",
                *self._auth_names(),
                "access_token",
                "client_id",
                "client_secret",
                "provider_readable_id",
                *(f"provider_config_{spec.name}" for spec in self._provider_specs()),
                *self._config_names(),
            ]
        )

    def _add_provider_fields(self) -> None:
        """A choice of the organization's provider connections, and every field their
        providers ask of an account (each provider uses the ones it declares)."""
        self.fields["provider_readable_id"] = forms.ChoiceField(
            required=False,
            label="Auth provider connection",
            choices=[("", "—")]
            + [(account.readable_id, account.name) for account in self.provider_accounts],
        )
        for spec in self._provider_specs():
            field = _field_for(spec)
            field.required = False
            self.fields[f"provider_config_{spec.name}"] = field

    def _provider_specs(self) -> list[SourceField]:
        from connections.auth_providers.registry import get_provider

        specs: dict[str, SourceField] = {}
        for account in self.provider_accounts:
            provider_cls = get_provider(account.short_name)
            for spec in provider_cls.config_fields if provider_cls else ():
                specs.setdefault(spec.name, spec)
        return list(specs.values())

    def provider_fields(self) -> list[forms.BoundField]:
        names = ["provider_readable_id"] + [
            f"provider_config_{spec.name}" for spec in self._provider_specs()
        ]
        return [self[name] for name in names if name in self.fields]

    def _provider_authentication(self) -> dict[str, Any]:
        from connections.auth_providers.registry import get_provider

        readable_id = self.cleaned_data.get("provider_readable_id", "")
        account = next((a for a in self.provider_accounts if a.readable_id == readable_id), None)
        provider_cls = get_provider(account.short_name) if account else None
        specs = provider_cls.config_fields if provider_cls else ()
        return {
            "provider_readable_id": readable_id,
            "provider_config": self._values("provider_config_", specs),
        }

    def _auth_names(self) -> list[str]:
        return [f"auth_{spec.name}" for spec in self.source_cls.auth_fields]

    def _config_names(self) -> list[str]:
        return [f"config_{spec.name}" for spec in self.source_cls.config_fields]

    def auth_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self._auth_names()]

    def access_token_field(self) -> forms.BoundField | None:
        return self["access_token"] if "access_token" in self.fields else None

    def oauth_client_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("client_id", "client_secret") if name in self.fields]

    def offers_oauth(self) -> bool:
        return any(method in OAUTH_FLOW_METHODS for method, _ in self.methods)

    def chosen_auth_method(self) -> str:
        only = self.methods[0][0] if len(self.methods) == 1 else AuthMethod.DIRECT
        return self.cleaned_data.get("auth_method") or only

    def is_oauth_flow(self) -> bool:
        """The browser goes to the provider next (no sync until it comes back)."""
        return self.chosen_auth_method() in OAUTH_FLOW_METHODS

    def config_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self._config_names()]

    def _values(self, prefix: str, specs: tuple[SourceField, ...]) -> dict[str, Any]:
        values = {}
        for spec in specs:
            value = self.cleaned_data.get(f"{prefix}{spec.name}")
            if value not in (None, ""):
                values[spec.name] = value
        return values

    def authentication(self) -> dict[str, Any] | None:
        method = self.chosen_auth_method()
        if method == AuthMethod.OAUTH_TOKEN:
            return {"access_token": self.cleaned_data.get("access_token", "")}
        if method == AuthMethod.OAUTH_BROWSER:
            return {}
        if method == AuthMethod.AUTH_PROVIDER:
            return self._provider_authentication()
        if method == AuthMethod.OAUTH_BYOC:
            return {
                "client_id": self.cleaned_data.get("client_id", ""),
                "client_secret": self.cleaned_data.get("client_secret", ""),
            }
        credentials = self._values("auth_", self.source_cls.auth_fields)
        return {"credentials": credentials} if self.source_cls.needs_credentials() else None

    def service_data(
        self, readable_collection_id: str, redirect_url: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of ``source_connection_create``; an OAuth flow returns to
        ``redirect_url`` and syncs once authorized."""
        data = {
            "short_name": self.source_cls.short_name,
            "readable_collection_id": readable_collection_id,
            "config": self._values("config_", self.source_cls.config_fields),
            "schedule": {"cron": self.chosen_cron()},
            "sync_immediately": self.cleaned_data["sync_immediately"],
        }
        if self.is_oauth_flow():
            data["sync_immediately"] = False
            data["redirect_url"] = redirect_url
        if self.cleaned_data.get("name"):
            data["name"] = self.cleaned_data["name"]
        authentication = self.authentication()
        if authentication is not None:
            data["authentication"] = authentication
        return data

    @staticmethod
    def field_for_path(path: tuple) -> str | None:
        """The form field a service error's path names."""
        if path[:1] == ("config",) and len(path) > 1:
            return f"config_{path[1]}"
        if path[:2] == ("authentication", "credentials") and len(path) > 2:
            return f"auth_{path[2]}"
        if path == ("authentication", "access_token"):
            return "access_token"
        if path[:1] == ("authentication",) and path[1:2] in (("client_id",), ("client_secret",)):
            return path[1]
        if path[:2] == ("authentication", "provider_config") and len(path) > 2:
            return f"provider_config_{path[2]}"
        if path == ("authentication", "provider_readable_id"):
            return "provider_readable_id"
        if path[:1] == ("schedule",):
            return "cron"
        return str(path[0]) if path else None


class ReauthenticateForm(forms.Form):
    """New credentials for a connection with direct authentication."""

    def __init__(self, *args, source_cls: type[BaseSource], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.source_cls = source_cls
        for spec in source_cls.auth_fields:
            self.fields[f"auth_{spec.name}"] = _field_for(spec)

    def authentication(self) -> dict[str, Any]:
        credentials = {
            spec.name: self.cleaned_data[f"auth_{spec.name}"]
            for spec in self.source_cls.auth_fields
            if self.cleaned_data.get(f"auth_{spec.name}") not in (None, "")
        }
        return {"credentials": credentials}


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, required=False, help_text="What uses this key, such as “CI” or “agent”."
    )
    days = forms.IntegerField(
        label="Expires in (days)",
        initial=90,
        min_value=ApiKey.MIN_DAYS,
        max_value=ApiKey.MAX_DAYS,
        help_text=f"Between {ApiKey.MIN_DAYS} and {ApiKey.MAX_DAYS} days.",
    )


class SearchForm(forms.Form):
    query = forms.CharField(max_length=2000, label="Search this collection")
    strategy = forms.ChoiceField(
        choices=[(strategy, strategy.title()) for strategy in STRATEGIES],
        initial="hybrid",
        required=False,
        label="Strategy",
    )
    source = forms.ChoiceField(required=False, label="Source")
    entity_type = forms.ChoiceField(required=False, label="Entity type")
    updated_from = forms.DateField(
        required=False, label="Updated from", widget=forms.DateInput(attrs={"type": "date"})
    )
    updated_to = forms.DateField(
        required=False, label="Updated to", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, choices: dict[str, list[tuple[str, str]]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Any source"), *choices["sources"]]
        self.fields["entity_type"].choices = [("", "Any type"), *choices["entity_types"]]
