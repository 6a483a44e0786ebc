"""`verify-export`: the auditor's command, for a full export or (--entry) one disclosed entry.
Needs no vault and no passphrase; the checks live in tokenvault/audit/verify_export.py and
verify_proof.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import click

from tokenvault.audit.verify_export import INVALID, VERIFIED, ExportVerdict, verify_export
from tokenvault.audit.verify_proof import ProofVerdict, verify_proof
from tokenvault.cli.output import emit_json, error_line, fields, warn
from tokenvault.cli.root import root

EXIT_VERIFIED, EXIT_UNANCHORED, EXIT_INVALID = 0, 1, 4
MAX_EXPORT_BYTES = 4 * 1024**3
_HASH = re.compile(r"[0-9a-f]{64}")
_CHECKPOINT = re.compile(r"([1-9][0-9]{0,15}):([0-9a-f]{64})")


class Verdict(Protocol):
    """What an export verdict and a proof verdict have in common."""

    @property
    def status(self) -> str: ...

    @property
    def warnings(self) -> tuple[str, ...]: ...

    def to_json(self) -> dict[str, Any]: ...

    def failure_line(self) -> str: ...


def record(size: int, root: str) -> str:
    """The checkpoint to record outside the vault, as --previous takes it: SIZE:ROOT."""
    return f"{size}:{root}"


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
@click.argument(
    "file", metavar="[FILE]", required=False, type=click.Path(path_type=Path, dir_okay=False)
)
@click.option(
    "--entry",
    "proof",
    metavar="PROOF",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Verify an inclusion proof from `journal prove` (one disclosed entry) instead of FILE.",
)
@click.option(
    "--genesis",
    metavar="HASH",
    help="The genesis hash recorded when the vault was created (anchors the start).",
)
@click.option(
    "--previous",
    metavar="FILE|CHECKPOINT",
    help="An earlier export of the same vault, or a checkpoint SIZE:ROOT recorded from one; "
    "what is verified must extend it.",
)
@click.option("--json", "as_json", is_flag=True, help="The verdict and summary as JSON.")
@click.pass_context
def verify_export_command(
    ctx: click.Context,
    file: Path | None,
    proof: Path | None,
    genesis: str | None,
    previous: str | None,
    as_json: bool,
) -> None:
    """Check a `tokenvault journal export` file without the vault and without any passphrase:
    the signed manifest, every entry (canonical form, chain, timestamps, signer membership and
    role, signatures), the Merkle root and checkpoint, the genesis hash (--genesis) and that it
    extends an earlier export or a recorded checkpoint (--previous FILE or SIZE:ROOT, as the
    `record` line prints it).

    With --entry PROOF instead of FILE, check one disclosed entry (`journal prove`): its
    signature, its inclusion in the signed tree and, with --previous, that the tree extends the
    earlier export or checkpoint and the member keys are the export's.

    Exit 0 verified and anchored; 1 verified but unanchored (no --genesis or --previous:
    truncation cannot be ruled out; for a proof, the keys are the prover's word); 4 invalid
    (first bad line, seq and reason); 2 unreadable file or bad usage.

    \b
    Example:
      tokenvault verify-export audit-2026-q4.jsonl --genesis 3f2a… --previous audit-2026-q3.jsonl
      tokenvault verify-export audit-2026-q4.jsonl --previous 1234:3f2a…
      tokenvault verify-export --entry revoke-41.proof.json --previous audit-2026-q3.jsonl
    """
    if (file is None) == (proof is None):
        raise click.UsageError("give either an export FILE or --entry PROOF (exactly one)")
    if genesis is not None and proof is not None:
        raise click.UsageError("--genesis applies to a full export, not to --entry")
    if genesis is not None and not _HASH.fullmatch(genesis.strip().lower()):
        raise click.BadParameter("must be the 64-hex-digit genesis hash", param_hint="--genesis")
    earlier, checkpoint = _previous(previous)
    if proof is not None:
        proof_verdict = verify_proof(
            _read(proof, "proof"), previous=earlier, previous_checkpoint=checkpoint
        )
        _finish(ctx, proof_verdict, as_json, _print_proof)
        return
    assert file is not None
    verdict = verify_export(
        _read(file, "export"), genesis=genesis, previous=earlier, previous_checkpoint=checkpoint
    )
    _finish(ctx, verdict, as_json, _print_summary)


def _previous(value: str | None) -> tuple[bytes | None, tuple[int, bytes] | None]:
    """--previous: an existing file is an earlier export; else SIZE:ROOT is a checkpoint."""
    if value is None:
        return None, None
    path = Path(value)
    if path.exists():
        return _read(path, "previous export"), None
    match = _CHECKPOINT.fullmatch(value.strip().lower())
    if match is None:
        raise click.BadParameter(
            f"{value!r:.80} is neither an existing file nor a checkpoint SIZE:ROOT "
            "(e.g. 1234: and 64 hex digits)",
            param_hint="--previous",
        )
    return None, (int(match.group(1)), bytes.fromhex(match.group(2)))


def _finish(
    ctx: click.Context, verdict: Verdict, as_json: bool, show: Callable[[Any], None]
) -> None:
    if as_json:
        emit_json(verdict.to_json())
    elif verdict.status != INVALID:
        show(verdict)
    if verdict.status == INVALID:
        error_line(verdict.failure_line())
        ctx.exit(EXIT_INVALID)
    for text in verdict.warnings:
        warn(text)
    ctx.exit(EXIT_VERIFIED if verdict.status == VERIFIED else EXIT_UNANCHORED)


def _print_proof(verdict: ProofVerdict) -> None:
    s = verdict.summary
    assert s is not None
    click.echo(f"{verdict.status}: journal entry {s.seq} ({s.type} by {s.actor} at {s.ts})")
    fields(
        [
            ("vault", f"{s.vault_name} ({s.vault})"),
            ("entry", s.entry),
            ("tree", f"{s.size} entries, root {s.root}"),
            ("checkpoint by", ", ".join(s.checkpoint_signers)),
            ("proved", f"{s.proved_at} by {s.proved_by}"),
            ("consistency", ", ".join(f"from {n}" for n in s.consistency_from) or "none"),
            ("anchored by", ", ".join(s.anchored_by) or "nothing"),
        ]
    )


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
            ("record", record(s.entries, s.root)),
        ]
    )
