"""`verify-export`: the auditor's command. Needs no vault and no passphrase; the checks live in
tokenvault/audit/verify_export.py."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tokenvault.audit.verify_export import INVALID, VERIFIED, ExportVerdict, verify_export
from tokenvault.cli.output import emit_json, error_line, fields, warn
from tokenvault.cli.root import root

EXIT_VERIFIED, EXIT_UNANCHORED, EXIT_INVALID = 0, 1, 4
MAX_EXPORT_BYTES = 4 * 1024**3
_HASH = re.compile(r"[0-9a-f]{64}")


def _read(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_EXPORT_BYTES + 1)
    except OSError as exc:
        raise click.FileError(str(path), hint=f"cannot read the {what}: {exc.strerror}") from None
    if len(data) > MAX_EXPORT_BYTES:
        raise click.FileError(str(path), hint=f"the {what} is larger than 4 GiB")
    return data


@root.command(name="verify-export", short_help="Verify a journal export offline; exit 0, 1 or 4.")
@click.argument("file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--genesis",
    metavar="HASH",
    help="The genesis hash recorded when the vault was created (anchors the start).",
)
@click.option(
    "--previous",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    help="An earlier export of the same vault; this one must extend it.",
)
@click.option("--json", "as_json", is_flag=True, help="The verdict and summary as JSON.")
@click.pass_context
def verify_export_command(
    ctx: click.Context, file: Path, genesis: str | None, previous: Path | None, as_json: bool
) -> None:
    """Check a `tokenvault journal export` file without the vault and without any passphrase:
    the signed manifest, every entry (canonical form, chain, timestamps, signer membership and
    role, signatures), the Merkle root and checkpoint, the genesis hash (--genesis) and that it
    extends an earlier export (--previous).

    Exit 0 verified and anchored; 1 verified but unanchored (no --genesis or --previous:
    truncation cannot be ruled out); 4 invalid (first bad line, seq and reason); 2 unreadable
    file or bad usage.

    \b
    Example:
      tokenvault verify-export audit-2026-q4.jsonl --genesis 3f2a… --previous audit-2026-q3.jsonl
    """
    if genesis is not None and not _HASH.fullmatch(genesis.strip().lower()):
        raise click.BadParameter("must be the 64-hex-digit genesis hash", param_hint="--genesis")
    data = _read(file, "export")
    earlier = _read(previous, "previous export") if previous is not None else None
    verdict = verify_export(data, genesis=genesis, previous=earlier)
    if as_json:
        emit_json(verdict.to_json())
    elif verdict.status != INVALID:
        _print_summary(verdict)
    if verdict.status == INVALID:
        error_line(verdict.failure_line())
        ctx.exit(EXIT_INVALID)
    for text in verdict.warnings:
        warn(text)
    ctx.exit(EXIT_VERIFIED if verdict.status == VERIFIED else EXIT_UNANCHORED)


def _print_summary(verdict: ExportVerdict) -> None:
    s = verdict.summary
    assert s is not None
    click.echo(f"{verdict.status}: {s.entries} journal entries ({s.first_ts} … {s.last_ts})")
    signers = ", ".join(
        f"{g.id} ({g.role}{'' if g.active else ', removed'}) {g.entries}" for g in s.signers
    )
    fields(
        [
            ("vault", f"{s.vault_name} ({s.vault})"),
            ("exported", f"{s.exported_at} by {s.exported_by}"),
            ("signers", signers),
            ("per type", ", ".join(f"{k} {v}" for k, v in s.per_type.items())),
            ("per actor", ", ".join(f"{k} {v}" for k, v in s.per_actor.items())),
            ("genesis hash", s.genesis),
            ("record", f"size {s.entries} root {s.root}"),
        ]
    )
