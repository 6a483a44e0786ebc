"""`check`: the policy findings (services/findings.py), as a table or JSON, with exit 1 when
any is at or above the chosen severity."""

from __future__ import annotations

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import clip, json_array, table
from tokenvault.cli.root import root
from tokenvault.domain.findings import Finding, Severity, count_by_severity
from tokenvault.services import findings as findings_service
from tokenvault.services.findings import FindingsReport

EXIT_CLEAN, EXIT_FINDINGS = 0, 1
SEVERITY_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
MESSAGE_MAX = 120


@root.command(short_help="Policy findings for every token; exit 1 if any at --severity or above.")
@click.option(
    "--severity",
    type=click.Choice([s.value for s in Severity], case_sensitive=False),
    default=Severity.WARNING.value,
    show_default=True,
    help="Show findings at or above this level, and exit 1 if there are any.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts: an array of findings.")
@pass_globals
@click.pass_context
def check(ctx: click.Context, g: Globals, /, severity: str, as_json: bool) -> None:
    """Check every token against the team's policy; nothing is changed or journaled.

    Each finding has a stable code (NO_OWNER, ORPHANED, NO_EXPIRY, LIFETIME_EXCEEDED,
    EXPIRED_ACTIVE, ROTATION_OVERDUE, BROAD_SCOPE, REVIEW_OVERDUE, STALE, UNUSED_DEPLOYMENT,
    EXPOSED, DISCOVERED),
    a severity (info < warning < error), the token, its owner, one line saying what and by
    how much, and the SOC 2 control it evidences. Revoked tokens have none.

    Exit 1 if any finding is at or above --severity, else 0: made for cron and CI.

    \b
    Examples:
      tokenvault check                      # warnings and errors; exit 1 if any
      tokenvault check --severity error     # in CI: fail only on errors
      tokenvault check --severity info --json | jq -r '.[] | "\\(.code)\\t\\(.token)"'
    """
    threshold = Severity(severity.lower())
    with g.session() as session:
        report = findings_service.check(session)
    shown = report.at_least(threshold)
    if as_json:
        click.echo(json_array([finding.to_json() for finding in shown]))
    else:
        _print_table(shown)
        click.echo(_summary(report, shown, threshold))
    ctx.exit(EXIT_FINDINGS if shown else EXIT_CLEAN)


def _print_table(findings: list[Finding]) -> None:
    if not findings:
        return
    badges = {s: click.style(s.value, fg=colour) for s, colour in SEVERITY_COLOURS.items()}
    rows = [
        [
            badges[f.severity],
            f.code.value,
            clip(f.token),
            clip(f.owner or "-", 16),
            clip(f.message, MESSAGE_MAX),
        ]
        for f in findings
    ]
    table(["SEVERITY", "CODE", "TOKEN", "OWNER", "FINDING"], rows)


def _summary(report: FindingsReport, shown: list[Finding], threshold: Severity) -> str:
    """`2 errors, 1 warning in 40 tokens checked (3 below warning not shown)`."""
    counts = count_by_severity(shown)
    parts = [_count(n, s) for s, n in counts.items() if s >= threshold]
    tokens = f"{report.tokens_checked} token{'' if report.tokens_checked == 1 else 's'}"
    line = f"{', '.join(parts)} in {tokens} checked"
    hidden = len(report.findings) - len(shown)
    if hidden:
        line += f" ({hidden} below {threshold.value} not shown)"
    return line


def _count(n: int, severity: Severity) -> str:
    plural = "" if n == 1 or severity is Severity.INFO else "s"
    return f"{n} {severity.value}{plural}"
