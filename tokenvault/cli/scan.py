"""`scan`: leaks of vault secrets and shadow tokens in files, for people and for CI."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from tokenvault.cli.context import Globals, pass_globals
from tokenvault.cli.output import clip, emit_json, table
from tokenvault.cli.root import root
from tokenvault.domain.scanreport import LEAK, ScanFinding
from tokenvault.services import scan as scan_service
from tokenvault.services.scan import ScanResult
from tokenvault.services.scanfiles import MAX_BYTES

EXIT_CLEAN, EXIT_FINDINGS = 0, 1
MIB = 1024 * 1024


@root.command(short_help="Find vault secrets and unknown credentials in files; exit 1 if any.")
@click.argument("paths", nargs=-1, metavar="PATH…")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts and CI.")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Accepted findings (fingerprint + path + reason): they do not fail the scan.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Accept every finding: write them to this baseline file (existing reasons kept).",
)
@click.option(
    "--reason",
    default="",
    help="With --write-baseline: the reason recorded for newly accepted findings.",
)
@click.option(
    "--include-ignored", is_flag=True, help="Inside git, scan ignored files too (all files)."
)
@click.option(
    "--max-file-mib",
    type=click.FloatRange(min=0, min_open=True, max=1024),
    default=MAX_BYTES / MIB,
    show_default=True,
    help="Skip (and report) files larger than this.",
)
@pass_globals
@click.pass_context
def scan(
    ctx: click.Context,
    g: Globals,
    /,
    paths: tuple[str, ...],
    as_json: bool,
    baseline: Path | None,
    write_baseline: Path | None,
    reason: str,
    include_ignored: bool,
    max_file_mib: float,
) -> None:
    """Search PATH… (default: the current directory) for every current and retired secret
    version in the vault (leaks), and for credentials the vault does not hold (shadow
    tokens: AWS, GitHub, GitLab, Slack, Stripe, JWT, private keys, high-entropy strings …,
    found by detect-secrets' detectors). Each finding names the file, line and column, the
    token version or the detector, and the secret's fingerprint, with the line redacted:
    no secret is ever printed.

    Inside a git work tree only the files git tracks or would track are read (all files
    with --include-ignored). Symlinks are never followed; binaries, files over
    --max-file-mib and unreadable files are skipped and listed.

    Every run is journaled as one `scan` entry (paths, counts, the fingerprints of leaked
    versions). A token whose live secret leaked outside the baseline is marked exposed
    until it is rotated, and `check` reports it as EXPOSED.

    Exit 1 if any finding is not in the --baseline, else 0 (and 0 after --write-baseline).

    \b
    Examples:
      tokenvault scan .                                  # this repository
      tokenvault scan . --write-baseline .tokenvault-baseline.json --reason "test fixtures"
      tokenvault scan . --baseline .tokenvault-baseline.json --json   # in CI
    """
    if reason and write_baseline is None:
        raise click.UsageError("--reason goes with --write-baseline")
    accepted = scan_service.read_baseline(baseline) if baseline is not None else None
    if write_baseline is not None:
        scan_service.check_baseline_target(write_baseline)
    with g.session() as session:
        result = scan_service.scan(
            session,
            list(paths) or ["."],
            baseline=accepted,
            accept_reason=(reason or f"accepted by {session.member.id}")
            if write_baseline is not None
            else None,
            include_ignored=include_ignored,
            max_bytes=int(max_file_mib * MIB),
        )
    if write_baseline is not None and result.baseline is not None:
        scan_service.write_baseline(write_baseline, result.baseline)
    if as_json:
        emit_json(_json(result, write_baseline))
    else:
        _print(result, write_baseline)
    ctx.exit(EXIT_FINDINGS if result.new else EXIT_CLEAN)


def _json(result: ScanResult, written: Path | None) -> dict[str, object]:
    return {
        "findings": [f.to_json() for f in result.findings],
        "new": len(result.new),
        "baselined": len(result.findings) - len(result.new),
        "files": result.files,
        "skipped_files": [
            {"path": s.path, "reason": s.reason, "detail": s.detail} for s in result.skipped_files
        ],
        "skipped_secrets": [
            {"token": s.token_name, "version": s.version, "reason": s.reason}
            for s in result.skipped_secrets
        ],
        "journal_seq": result.entry_seq,
        "baseline_written": None if written is None else str(written),
    }


def _print(result: ScanResult, written: Path | None) -> None:
    if result.findings:
        table(
            ["", "KIND", "WHERE", "WHAT", "FINGERPRINT", "LINE (REDACTED)"],
            [_row(f) for f in result.findings],
        )
    for skip in result.skipped_files:
        detail = f" ({skip.detail})" if skip.detail else ""
        click.echo(f"skipped {clip(skip.path, 100)}: {skip.reason}{detail}")
    if result.skipped_secrets:
        names = ", ".join(f"{s.token_name} v{s.version}" for s in result.skipped_secrets[:10])
        more = len(result.skipped_secrets) - 10
        names += f" and {more} more" if more > 0 else ""
        click.echo(
            f"not searched (shorter than 8 characters): {names}",
        )
    click.echo(_summary(result))
    if written is not None and result.baseline is not None:
        click.echo(f"wrote {len(result.baseline.entries)} accepted finding(s) to {written}")


def _row(f: ScanFinding) -> list[str]:
    mark = click.style("new", fg="red") if f.accepted is None else "ok"
    if f.kind == LEAK:
        state = "current" if f.current else "retired"
        what = f"{clip(f.token or '', 40)} v{f.version} ({state})"
    else:
        what = clip(f.what, 40)
    short_fp = f.fingerprint.rsplit(":", 1)[-1][:12]
    return [mark, f.kind, clip(f"{f.path}:{f.line}:{f.column}", 60), what, short_fp, f.preview]


def _summary(result: ScanResult) -> str:
    kinds = Counter(f.kind for f in result.findings)
    tokens = len({f.token_id for f in result.findings if f.kind == LEAK})
    files = f"{result.files} file{'' if result.files == 1 else 's'}"
    line = (
        f"scanned {files}: {kinds[LEAK]} leak(s) of {tokens} vault token(s), "
        f"{kinds['shadow']} shadow token(s)"
    )
    new = len(result.new)
    accepted = len(result.findings) - new
    if accepted:
        line += f"; {accepted} baselined"
    line += f"; {new} new" if new else "; nothing new"
    if result.skipped_files:
        line += f"; {len(result.skipped_files)} skipped"
    return line + f" (journal entry {result.entry_seq})"
