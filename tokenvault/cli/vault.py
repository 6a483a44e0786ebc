"""Vault commands: init, demo, verify, backup."""

from __future__ import annotations

from pathlib import Path

import click

from tokenvault import services
from tokenvault.cli.context import Globals, globals_of, pass_globals
from tokenvault.cli.output import error_line, fields
from tokenvault.cli.root import interactive, open_tui, root
from tokenvault.services import backup as backup_service


@root.command(short_help="Create a vault with you as its first admin.")
@click.option("--name", required=True, help="The vault's name, e.g. the team's.")
@click.option(
    "--member",
    "member_id",
    required=True,
    metavar="ID",
    help="Your member id (you become the first admin).",
)
@click.option("--display-name", default="", help="Your name for listings.")
@click.option(
    "--kdf-memory-mib",
    type=click.IntRange(min=1),
    help="Argon2id memory (default: calibrated, >= 256).",
)
@click.option("--kdf-time", type=click.IntRange(min=1), help="Argon2id passes.")
@click.option("--kdf-parallelism", type=click.IntRange(min=1), help="Argon2id lanes.")
@pass_globals
def init(
    g: Globals,
    name: str,
    member_id: str,
    display_name: str,
    kdf_memory_mib: int | None,
    kdf_time: int | None,
    kdf_parallelism: int | None,
) -> None:
    """Create a vault in --vault (or the default directory) with you as its first admin.

    Prints the genesis hash, to record outside the vault (it pins the journal's first entry
    for auditors), and a recovery code, shown once, that unlocks the 'recovery' admin.

    \b
    Example:
      tokenvault --vault ~/vaults/ops init --name "Ops team" --member alice
    """
    kdf = None
    if kdf_memory_mib is not None and kdf_time is not None and kdf_parallelism is not None:
        kdf = services.KdfParams(kdf_memory_mib * 1024, kdf_time, kdf_parallelism)
    elif (kdf_memory_mib, kdf_time, kdf_parallelism) != (None, None, None):
        raise click.UsageError("give all of --kdf-memory-mib, --kdf-time and --kdf-parallelism")
    passphrase = g.passphrase.read(f"New passphrase for {member_id}: ", confirm=True)
    created = services.create_vault(
        g.vault,
        name=name,
        member_id=member_id,
        passphrase=passphrase,
        display_name=display_name,
        kdf=kdf,
    )
    click.echo(f"created vault {name!r} at {created.path}")
    fields(
        [
            ("vault id", created.vault_id),
            ("member", f"{created.member_id} (admin)"),
            ("genesis hash", created.genesis_hash),
            ("recovery code", created.recovery_code.expose_text()),
        ]
    )
    click.echo(
        "\nRecord the genesis hash outside the vault (auditors check exports against it).\n"
        "Store the recovery code offline: it is shown only now, and unlocks the admin member "
        f"'{services.RECOVERY_MEMBER}'."
    )


@root.command(short_help="Create (or reuse) a demo vault with realistic data, and open it.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where (default: a 'demo' vault next to the default vault).",
)
@click.option("--no-tui", is_flag=True, help="Only create it and print how to use it.")
@click.pass_context
def demo(ctx: click.Context, directory: Path | None, no_tui: bool) -> None:
    """Create (or reuse) a demo vault with realistic tokens, members and history, and open it.

    \b
    Example:
      tokenvault demo --dir /tmp/tv-demo --no-tui
    """
    from tokenvault.services import demo as demo_service  # only this command needs the data

    target = directory if directory is not None else services.default_vault_dir().parent / "demo"
    made = demo_service.ensure_demo(target, now=services.system_clock())
    verb = "created" if made.created else "reusing"
    click.echo(f"{verb} the demo vault at {made.path}")
    fields(
        [
            ("members", ", ".join(made.members)),
            ("passphrase", f"{made.passphrase}  (the same for every demo member; not a secret)"),
            ("tokens", str(made.tokens)),
            ("journal", f"{made.entries} entries"),
        ]
    )
    click.echo(
        "\nTry:\n"
        f"  export TOKENVAULT_VAULT={made.path} TOKENVAULT_MEMBER={made.member}\n"
        "  tokenvault ls\n"
        "  tokenvault ls --status overdue --status expired\n"
        "  tokenvault journal ls --limit 20"
    )
    if no_tui:
        return
    if not interactive():
        click.echo("\nNot a terminal, so the TUI was not opened; run `tokenvault demo` in one.")
        return
    member = globals_of(ctx).member or made.member  # --member bob to see it as bob
    ctx.exit(open_tui(made.path, member, notice=f"demo vault: passphrase {made.passphrase}"))


@root.command(short_help="Check database, key file, journal and rollback; exit 0 or 4.")
@pass_globals
@click.pass_context
def verify(ctx: click.Context, g: Globals) -> None:
    """Check the database (every page's HMAC), the key file, the whole journal (chain,
    signatures, roles, Merkle checkpoint), the stored state against the journal's replay,
    and that the journal extends what this client saw before (rollback / fork).

    Exit 0 when everything holds, 4 with the first problem named.

    \b
    Example:
      tokenvault verify && echo ok
    """
    with g.session(rollback_warning=False) as session:
        report = services.verify(session)
    if not report.ok:
        more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        error_line(f"verification failed: {report.problems[0]}{more}")
        ctx.exit(4)
    click.echo(f"verified {report.entries} journal entries ({report.first_ts} … {report.last_ts})")
    fields([("head root", report.root), ("genesis hash", report.genesis_hash)])


@root.command()
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@pass_globals
def backup(g: Globals, directory: Path) -> None:
    """Write a consistent encrypted copy of the vault (database and key file) to DIR.

    The copy opens with the same passphrases; keep it as safe as the vault itself.

    \b
    Example:
      tokenvault backup /mnt/backup/tokenvault-$(date +%F)
    """
    with g.session() as session:
        made = backup_service.backup(session, directory)
    click.echo(f"backed up {made.entries} journal entries to {made.path}")
    fields([("root", made.root), ("files", ", ".join(made.files))])
