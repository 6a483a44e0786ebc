"""Parameter types and the token metadata flags shared by `add` and `edit`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from tokenvault import services
from tokenvault.domain.dateinput import parse_days, parse_optional_when, parse_when
from tokenvault.domain.errors import ValidationError

F = TypeVar("F", bound=Callable[..., Any])


class WhenType(click.ParamType[datetime | None, Any]):
    """DATE (YYYY-MM-DD or ISO date-time with zone), +Nd / -Nd, today; 'never' if allowed."""

    name = "DATE"

    def __init__(self, *, allow_never: bool = False) -> None:
        self.allow_never = allow_never

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime) or value is None:
            return value
        now = services.system_clock()
        try:  # click names the option itself: "Invalid value for '--expires': …"
            if self.allow_never:
                return parse_optional_when(str(value), now, field="")
            return parse_when(str(value), now, field="")
        except ValidationError as exc:
            self.fail(str(exc), param, ctx)


class DaysType(click.ParamType[int | None, Any]):
    """Nd or N (whole days); 'default' means the policy's."""

    name = "Nd"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int) or value is None:
            return value
        try:
            return parse_days(str(value), field="")
        except ValidationError as exc:
            self.fail(str(exc), param, ctx)


WHEN = WhenType()
EXPIRES = WhenType(allow_never=True)
DAYS = DaysType()

# flag -> token field; multiple=True flags collect lists.
_METADATA: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("--service", "service", {"help": "Provider or system (github, aws, stripe …)."}),
    ("--env", "environment", {"help": "Environment (production, staging, ci …)."}),
    ("--scope", "scopes", {"multiple": True, "help": "A scope or permission; repeat for more."}),
    (
        "--used-by",
        "used_by",
        {"multiple": True, "help": "Where it is deployed (a CI secret, a host); repeatable."},
    ),
    ("--tag", "tags", {"multiple": True, "help": "A free-form tag; repeatable."}),
    ("--note", "notes", {"help": "A note (never the secret)."}),
    (
        "--expires",
        "expires_at",
        {"type": EXPIRES, "help": "Expiry: DATE, +Nd, or 'never'."},
    ),
    (
        "--rotate-every",
        "rotate_every_days",
        {"type": DAYS, "help": "Rotation period, e.g. 90d ('default': the policy's)."},
    ),
    ("--issued", "issued_at", {"type": WHEN, "help": "When it was issued (default: now)."}),
    (
        "--last-rotated",
        "last_rotated_at",
        {"type": WHEN, "help": "When it was last rotated (default: issued)."},
    ),
)


def metadata_options(*, owner_required: bool) -> Callable[[F], F]:
    """The metadata flags; each parameter defaults to a sentinel so `edit` sees only what was
    given (an explicit empty value still counts)."""

    def decorate(func: F) -> F:
        for flag, field, extra in reversed(_METADATA):
            kwargs = dict(extra)
            if not kwargs.get("multiple"):
                kwargs["default"] = None
            func = click.option(flag, field, **kwargs)(func)
        return click.option(
            "--owner",
            "owner",
            required=owner_required,
            default=None,
            help="Who answers for it: a member id, a person or a team.",
        )(func)

    return decorate


def given_metadata(ctx: click.Context, values: dict[str, Any]) -> dict[str, Any]:
    """The metadata flags actually given on the command line, by token field name."""
    fields = ["owner", *(field for _, field, _ in _METADATA)]
    given = {}
    for field in fields:
        source = ctx.get_parameter_source(field)
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            value = values[field]
            given[field] = list(value) if isinstance(value, tuple) else value
    return given
