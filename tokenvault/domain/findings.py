"""Policy findings: what in the inventory breaks the team's policy, token by token, each with a
stable code, a severity, one line for a person and the control it evidences. Pure: the policy,
`now` and the member list are parameters; expiry and rotation come from status.py, never a copy.

Codes (stable: scripts, CI and auditors match on them; a code is never renamed or reused):

    code               severity                        rule
    NO_OWNER           error if policy.require_owner,  owner is empty
                       else warning
    ORPHANED           as NO_OWNER                     owner is the id of a removed member
    NO_EXPIRY          error if policy.require_expiry, no expiry date
                       else info
    LIFETIME_EXCEEDED  error                           expires_at - issued_at > max_lifetime_days
                                                       (not judged when that is None)
    EXPIRED_ACTIVE     error                           token_status is EXPIRED (expired, not
                                                       revoked)
    ROTATION_OVERDUE   error                           token_status is OVERDUE
    BROAD_SCOPE        error in production,            a scope is in policy.broad_scopes
                       else warning                    (case-insensitive, whole scope)
    REVIEW_OVERDUE     warning                         last_reviewed_at (created_at if never
                                                       reviewed) + review_days <= now
    STALE              warning                         max(last_rotated_at, last_reviewed_at,
                                                       last_used_at) + stale_days <= now
    UNUSED_DEPLOYMENT  warning                         used_by is empty
    EXPOSED            error                           a scan found the live secret in a file
                                                       (exposed_at set; rotation clears it)
    DISCOVERED         error                           a scanner report brought the token in
                                                       and nobody owns it yet (replaces
                                                       NO_OWNER for such a token)

Severities: **error** — the credential itself is out of policy: it is live past a deadline,
lives longer than allowed, grants broad access in production, or breaks a rule the policy makes
mandatory (require_owner, require_expiry). **warning** — a governance process is behind or a
risk is showing (review late, no activity, unknown deployment, broad scope outside production,
no accountable owner where the policy does not insist on one). **info** — a fact for the auditor
that the policy accepts (no expiry when expiry is optional).

ROTATION_OVERDUE is an error because the secret has outlived the team's own rotation period,
the one deadline this tool exists to enforce; it also makes `check --severity error` fail
whenever `due` does (an overdue or expired token). It follows the status precedence exactly:
an expired token gets EXPIRED_ACTIVE and not ROTATION_OVERDUE as well, since its secret no
longer works and the single action (replace or revoke) is the same.

Every other rule is judged on its own, so one token may carry several findings, but never two
with the same code. Revoked tokens get none: they are done. A timed rule fires at its boundary
(`<= now`, as expiry does in status.py); a lifetime of exactly max_lifetime_days is allowed.

EXPOSED and DISCOVERED are errors: a live secret in a file anyone with the repository can read
is a credential to replace now, and a credential nobody owns is the shadow token the inventory
exists to end. A discovered token leaves DISCOVERED by getting an owner (or being revoked).

ORPHANED judges only an owner that is (case-insensitively) the id of a member who was removed
and not re-added. An owner that never was a member id — a team name such as "payments" — is not
judged: the vault cannot tell a team from a typo, and NO_OWNER covers the empty owner.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Protocol, cast

from tokenvault.domain.model import Member, Status, Token
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import days_left, rotation_due_at, rotation_period_days, token_status


@functools.total_ordering
class Severity(Enum):
    """info < warning < error. Not a str subclass, so it never compares as text."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANK[self] < _RANK[other]

    def __str__(self) -> str:
        return self.value


_RANK = {severity: rank for rank, severity in enumerate(Severity)}


class Code(StrEnum):
    NO_OWNER = "NO_OWNER"
    ORPHANED = "ORPHANED"
    NO_EXPIRY = "NO_EXPIRY"
    LIFETIME_EXCEEDED = "LIFETIME_EXCEEDED"
    EXPIRED_ACTIVE = "EXPIRED_ACTIVE"
    ROTATION_OVERDUE = "ROTATION_OVERDUE"
    BROAD_SCOPE = "BROAD_SCOPE"
    REVIEW_OVERDUE = "REVIEW_OVERDUE"
    STALE = "STALE"
    UNUSED_DEPLOYMENT = "UNUSED_DEPLOYMENT"
    EXPOSED = "EXPOSED"
    DISCOVERED = "DISCOVERED"


# The SOC 2 Trust Services Criteria each finding is evidence for.
INVENTORY = "SOC 2 CC6.1 asset inventory"
LIFECYCLE = "SOC 2 CC6.1 credential lifecycle"
REVIEW = "SOC 2 CC6.2 access review"
REMOVAL = "SOC 2 CC6.2 access removal"
LEAST_PRIVILEGE = "SOC 2 CC6.3 least privilege"
INCIDENT = "SOC 2 CC7.3 security event response"

CONTROLS: dict[Code, str] = {
    Code.NO_OWNER: INVENTORY,
    Code.ORPHANED: REMOVAL,
    Code.NO_EXPIRY: LIFECYCLE,
    Code.LIFETIME_EXCEEDED: LIFECYCLE,
    Code.EXPIRED_ACTIVE: REMOVAL,
    Code.ROTATION_OVERDUE: LIFECYCLE,
    Code.BROAD_SCOPE: LEAST_PRIVILEGE,
    Code.REVIEW_OVERDUE: REVIEW,
    Code.STALE: REMOVAL,
    Code.UNUSED_DEPLOYMENT: INVENTORY,
    Code.EXPOSED: INCIDENT,
    Code.DISCOVERED: INVENTORY,
}

# Python 3.11 finds an enum member through a descriptor (about 1 µs a lookup); the rules run
# for every token of a 100,000-token vault, so they use these plain names (and `_value_`, a
# plain attribute, where `.value` is another descriptor).
_ERROR, _WARNING, _INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_EXPIRED, _OVERDUE = Status.EXPIRED, Status.OVERDUE
_NO_OWNER = Code.NO_OWNER
_ORPHANED = Code.ORPHANED
_NO_EXPIRY = Code.NO_EXPIRY
_LIFETIME_EXCEEDED = Code.LIFETIME_EXCEEDED
_EXPIRED_ACTIVE = Code.EXPIRED_ACTIVE
_ROTATION_OVERDUE = Code.ROTATION_OVERDUE
_BROAD_SCOPE = Code.BROAD_SCOPE
_REVIEW_OVERDUE = Code.REVIEW_OVERDUE
_STALE = Code.STALE
_UNUSED_DEPLOYMENT = Code.UNUSED_DEPLOYMENT
_EXPOSED = Code.EXPOSED
_DISCOVERED = Code.DISCOVERED
_RANK_OF = {severity.value: rank for severity, rank in _RANK.items()}

PRODUCTION = frozenset({"prod", "production", "prd"})  # environment names, casefolded


class Auditable(Protocol):
    """What the rules read: a `Token`, or a lighter record with the same field names
    (storage.listing.AuditSummary)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def scopes(self) -> tuple[str, ...]: ...
    @property
    def used_by(self) -> tuple[str, ...]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def rotate_every_days(self) -> int | None: ...
    @property
    def last_rotated_at(self) -> datetime: ...
    @property
    def last_reviewed_at(self) -> datetime | None: ...
    @property
    def last_used_at(self) -> datetime | None: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def exposed_at(self) -> datetime | None: ...
    @property
    def discovered(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Finding:
    code: Code
    severity: Severity
    token_id: int
    token: str  # the token's name
    owner: str  # "" when none
    environment: str  # "" when none
    message: str  # one line: what, and by how much
    control: str  # the control it evidences, e.g. "SOC 2 CC6.3 least privilege"

    def to_json(self) -> dict[str, Any]:
        """The `check --json` record. Field names are a public contract; an empty owner or
        environment is null, as in domain/records.py."""
        return {
            "code": self.code._value_,
            "severity": self.severity._value_,
            "token": self.token,
            "token_id": self.token_id,
            "owner": self.owner or None,
            "environment": self.environment or None,
            "message": self.message,
            "control": self.control,
        }


def is_production(environment: str) -> bool:
    return environment.strip().casefold() in PRODUCTION


class Checker:
    """The rules, prepared once for a policy, a moment and the member list."""

    __slots__ = (
        "_broad",
        "_departed",
        "_expiry_severity",
        "_lifetime",
        "_owner_severity",
        "_review",
        "_stale",
        "now",
        "policy",
    )

    def __init__(self, policy: Policy, now: datetime, members: Iterable[Member]) -> None:
        self.policy = policy
        self.now = now
        members = list(members)
        active = {m.id.casefold() for m in members if m.active}
        self._departed = {
            m.id.casefold(): m.removed_at
            for m in members
            if m.removed_at is not None and m.id.casefold() not in active
        }
        self._broad = frozenset(scope.casefold() for scope in policy.broad_scopes)
        self._owner_severity = _ERROR if policy.require_owner else _WARNING
        self._expiry_severity = _ERROR if policy.require_expiry else _INFO
        days = policy.max_lifetime_days
        self._lifetime = None if days is None else timedelta(days=days)
        self._review = timedelta(days=policy.review_days)
        self._stale = timedelta(days=policy.stale_days)

    def findings(self, token: Auditable) -> list[Finding]:
        """This token's findings, in rule order (findings_for and all_findings sort)."""
        if token.revoked_at is not None:
            return []
        found: list[tuple[Code, Severity, str]] = []
        exposed = token.exposed_at
        if exposed is not None:
            text = f"the live secret was found in a scanned file {self._ago(exposed)}: rotate it"
            found.append((_EXPOSED, _ERROR, text))
        self._ownership(token, found)
        self._expiry(token, found)
        self._scopes(token, found)
        self._activity(token, found)
        if not token.used_by:
            found.append((_UNUSED_DEPLOYMENT, _WARNING, "no deployment recorded (used_by empty)"))
        return [
            Finding(code, severity, token.id, token.name, token.owner, token.environment,
                    message, CONTROLS[code])
            for code, severity, message in found
        ]  # fmt: skip

    def _ownership(self, token: Auditable, found: list[tuple[Code, Severity, str]]) -> None:
        owner = token.owner.strip()
        if not owner and token.discovered:
            text = "found by a secret scanner and owned by no one: own it or revoke it"
            found.append((_DISCOVERED, _ERROR, text))
            return
        if not owner:
            text = "no owner; the policy requires one" if self.policy.require_owner else "no owner"
            found.append((_NO_OWNER, self._owner_severity, text))
            return
        removed = self._departed.get(owner.casefold())
        if removed is not None:
            text = f"owner {owner} was removed from the vault {self._ago(removed)}"
            found.append((_ORPHANED, self._owner_severity, text))

    def _expiry(self, token: Auditable, found: list[tuple[Code, Severity, str]]) -> None:
        expires, now = token.expires_at, self.now
        if expires is None:
            if self.policy.require_expiry:
                text = "no expiry date; the policy requires one"
            elif self._lifetime is not None:
                days = self.policy.max_lifetime_days
                text = f"no expiry date, so the {days}-day lifetime limit cannot hold"
            else:
                text = "no expiry date"
            found.append((_NO_EXPIRY, self._expiry_severity, text))
        elif self._lifetime is not None and expires - token.issued_at > self._lifetime:
            lived = days_left(expires, token.issued_at)
            text = (
                f"expires {_day(expires)}, {_days(lived)} after issue; "
                f"policy allows {self.policy.max_lifetime_days}"
            )
            found.append((_LIFETIME_EXCEEDED, _ERROR, text))
        # The status rule decides expired and overdue (precedence: expired first).
        as_token = cast(Token, token)
        status = token_status(as_token, self.policy, now)
        if status is _EXPIRED and expires is not None:
            text = f"expired {self._ago(expires)} and is not revoked: rotate or revoke it"
            found.append((_EXPIRED_ACTIVE, _ERROR, text))
        elif status is _OVERDUE:
            due = rotation_due_at(as_token, self.policy)
            every = rotation_period_days(as_token, self.policy)
            text = f"rotation was due {self._ago(due)}; rotate every {_days(every)}"
            found.append((_ROTATION_OVERDUE, _ERROR, text))

    def _scopes(self, token: Auditable, found: list[tuple[Code, Severity, str]]) -> None:
        broad = [scope for scope in token.scopes if scope.casefold() in self._broad]
        if not broad:
            return
        production = is_production(token.environment)
        environment = token.environment.strip()
        where = f"in {environment}" if environment else "(no environment)"
        text = f"broad scope{'s' if len(broad) > 1 else ''} {', '.join(broad)} {where}"
        found.append((_BROAD_SCOPE, _ERROR if production else _WARNING, text))

    def _activity(self, token: Auditable, found: list[tuple[Code, Severity, str]]) -> None:
        now, reviewed = self.now, token.last_reviewed_at
        attested = token.created_at if reviewed is None else reviewed
        if attested + self._review <= now:
            what = "never reviewed; added" if reviewed is None else "last reviewed"
            text = f"{what} {self._ago(attested)}; review every {_days(self.policy.review_days)}"
            found.append((_REVIEW_OVERDUE, _WARNING, text))
        touched = max(
            t for t in (token.last_rotated_at, reviewed, token.last_used_at) if t is not None
        )
        if touched + self._stale <= now:
            text = (
                f"no rotation, review or use since {self._ago(touched)}; "
                f"stale after {_days(self.policy.stale_days)}"
            )
            found.append((_STALE, _WARNING, text))

    def _ago(self, moment: datetime) -> str:
        """`2026-11-20 (5 days ago)` for a past moment, in whole days (UTC dates)."""
        late = -days_left(moment, self.now)
        if late <= 0:
            return f"{_day(moment)} (less than a day ago)"
        return f"{_day(moment)} ({_days(late)} ago)"


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def findings_for(
    token: Auditable, policy: Policy, now: datetime, members: Iterable[Member]
) -> list[Finding]:
    """One token's findings, most severe first (then by code)."""
    found = Checker(policy, now, members).findings(token)
    found.sort(key=_within_token)
    return found


def all_findings(
    tokens: Iterable[Auditable], policy: Policy, now: datetime, members: Iterable[Member]
) -> list[Finding]:
    """Every token's findings: most severe first, then by token name (case-insensitive), then
    by code."""
    checker = Checker(policy, now, members)
    found = [finding for token in tokens for finding in checker.findings(token)]
    found.sort(key=_across_tokens)
    return found


def _within_token(finding: Finding) -> tuple[int, str]:
    return (-_RANK_OF[finding.severity._value_], finding.code._value_)


def _across_tokens(finding: Finding) -> tuple[int, str, str, int, str]:
    f = finding
    return (-_RANK_OF[f.severity._value_], f.token.casefold(), f.token, f.token_id, f.code._value_)


def count_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity, most severe first, zeros included."""
    counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts
