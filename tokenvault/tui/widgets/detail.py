"""The detail pane: everything about the highlighted token except its secret — which appears
only while revealed, for a few seconds, in its own line — and the token's policy findings,
which the main screen gets from domain.findings.findings_for (the rules `tokenvault check` and
the findings view use; none is written here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from tokenvault.domain.describe import summary
from tokenvault.domain.findings import Finding
from tokenvault.domain.journal import Entry
from tokenvault.domain.model import Token
from tokenvault.domain.policy import Policy
from tokenvault.domain.status import days_left, next_deadline, rotation_due_at, token_status

HIDDEN = "•••••••• (v: reveal · c/enter: copy)"


def _day(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d")


def _when(moment: datetime, now: datetime) -> str:
    days = days_left(moment, now)
    if days > 0:
        return f"in {days}d"
    return "today" if days == 0 else f"{-days}d late"


class DetailPane(VerticalScroll):
    DEFAULT_CSS = """
    DetailPane { border-left: vkey $panel; padding: 0 1; background: $surface; }
    DetailPane #detail-body { height: auto; }
    DetailPane #detail-secret { height: auto; margin-top: 1; color: $text-muted; }
    DetailPane #detail-secret.-revealed { color: $warning; text-style: bold; }
    DetailPane #detail-findings { height: auto; margin-top: 1; }
    DetailPane #detail-history { height: auto; margin-top: 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-body")
        yield Static("", id="detail-secret")
        yield Static("", id="detail-findings")
        yield Static("", id="detail-history")

    def show(
        self,
        token: Token | None,
        policy: Policy,
        now: datetime,
        history: list[Entry],
        findings: Sequence[Finding] = (),
    ) -> None:
        """Show `token`; `findings` are its findings (domain.findings.findings_for), most
        severe first."""
        self.hide_secret()
        body = self.query_one("#detail-body", Static)
        self.query_one("#detail-findings", Static).update(
            "" if token is None else _findings_text(findings, token.revoked)
        )
        if token is None:
            body.update("[$text-muted]no token selected[/]")
            self.query_one("#detail-secret", Static).update("")
            self.query_one("#detail-history", Static).update("")
            return
        status = token_status(token, policy, now).value
        head = f"[b]{escape(token.name)}[/b]\n[b {_STATUS_STYLE[status]}]{status}[/]"
        if not token.revoked:
            head += f" · next deadline {_when(next_deadline(token, policy), now)}"
        head += "".join(f"\n{line}" for line in _flag_lines(token))
        rows = [
            ("service", token.service or "-"),
            ("env", token.environment or "-"),
            ("owner", token.owner or "-"),
            ("scopes", ", ".join(token.scopes) or "-"),
            ("used by", ", ".join(token.used_by) or "-"),
            ("tags", ", ".join(token.tags) or "-"),
            ("expires", _day(token.expires_at)),
            ("rotate by", "-" if token.revoked else _day(rotation_due_at(token, policy))),
            ("every", f"{token.rotate_every_days or policy.rotation_days}d"),
            ("reviewed", _day(token.last_reviewed_at)),
        ]
        if token.revoked:
            reason = token.revoke_reason.value if token.revoke_reason else "-"
            rows.append(("revoked", f"{_day(token.revoked_at)} ({reason})"))
        if token.notes:
            rows.append(("notes", token.notes))
        lines = [head, ""] + [f"[$text-muted]{k:<10}[/]{escape(v)}" for k, v in rows]
        lines.append("")
        for version in sorted(token.versions, key=lambda v: -v.number)[:3]:
            state = (
                "destroyed"
                if version.destroyed_at
                else "current"
                if version.number == token.current_version and not token.revoked
                else "retired"
            )
            lines.append(
                f"[$text-muted]v{version.number:<3}[/] {state:<9} {_day(version.created_at)} "
                f"{escape(version.created_by)}"
            )
        body.update("\n".join(lines))
        self.query_one("#detail-secret", Static).update(HIDDEN)
        recent = ["[b]recent journal[/b]"] + [
            f"{e.ts[:10]} {escape(e.actor):<8} {escape(summary(e))}" for e in history
        ]
        self.query_one("#detail-history", Static).update("\n".join(recent))

    def reveal(self, text: str, seconds: int) -> None:
        secret = self.query_one("#detail-secret", Static)
        secret.update(f"{escape(text)}\n(hides in {seconds} s)")
        secret.add_class("-revealed")

    def hide_secret(self) -> None:
        secret = self.query_one("#detail-secret", Static)
        if secret.has_class("-revealed"):
            secret.remove_class("-revealed")
            secret.update(HIDDEN)

    @property
    def revealed(self) -> bool:
        return self.query_one("#detail-secret", Static).has_class("-revealed")


def _flag_lines(token: Token) -> list[str]:
    """The exposed and discovered lines under the status, in the colours of the table's
    marks (words, no glyph: "Exposed since YYYY-MM-DD: rotate it" just fits the pane)."""
    lines = []
    if token.exposed_at is not None:
        since = _day(token.exposed_at)
        if token.revoked:
            lines.append(f"[$text-muted]Exposed from {since} until revoked[/]")
        else:
            lines.append(f"[b $text-error]Exposed since {since}: rotate it[/]")
    if token.discovered:
        owner = escape(token.owner.strip())
        who = f"taken by {owner}" if owner else "owner unknown"
        lines.append(f"[b $text-primary]Discovered by a scanner report; {who}[/]")
    return lines


def _findings_text(findings: Sequence[Finding], revoked: bool) -> str:
    """`findings (n)`, then each finding's severity and code, its message under it."""
    if not findings:
        none = "none: revoked" if revoked else "none"
        return f"[b]findings[/b]\n[$text-muted]{none}[/]"
    lines = [f"[b]findings[/b] ({len(findings)})"]
    for finding in findings:
        severity = finding.severity.value
        lines.append(f"[{_SEVERITY_STYLE[severity]}]{severity}[/] {finding.code.value}")
        lines.append(f"[$text-muted]{escape(finding.message)}[/]")
    return "\n".join(lines)


_SEVERITY_STYLE = {  # as the findings view's badges
    "error": "b $text-error",
    "warning": "b $text-warning",
    "info": "$text-primary",
}

_STATUS_STYLE = {  # theme variables, so every theme colours statuses its own way
    "revoked": "$text-muted",
    "expired": "$error",
    "overdue": "$error",
    "due": "$warning",
    "ok": "$success",
}
