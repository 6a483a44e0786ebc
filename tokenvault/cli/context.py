"""The global options, resolved once: which vault, which member, where the passphrase comes
from; and the one way a command gets an unlocked session (warnings go to stderr)."""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from tokenvault import services
from tokenvault.cli.output import warn
from tokenvault.cli.secrets_in import PassphraseSource
from tokenvault.domain.errors import InputError, NotFoundError
from tokenvault.domain.timefmt import format_ts


@dataclass(frozen=True, slots=True)
class Globals:
    vault: Path
    member: str | None
    passphrase: PassphraseSource

    def choose_member(self) -> str:
        """--member, else the only member, else the OS user if they are one."""
        if self.member:  # unknown or removed: unlock says so (exit 3) and records it
            return self.member
        ids = [m for m in services.member_ids(self.vault) if m != services.RECOVERY_MEMBER]
        if len(ids) == 1:
            return ids[0]
        with contextlib.suppress(Exception):
            user = getpass.getuser()
            if user in ids:
                return user
        shown = ", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")
        raise InputError(
            f"this vault has several members ({shown}); choose with --member or TOKENVAULT_MEMBER"
        )

    def unlock(self, *, rollback_warning: bool = True) -> services.Session:
        if not (self.vault / "keys.json").exists():
            raise NotFoundError(
                f"no vault at {self.vault}: create one with `tokenvault init`, or point "
                "--vault / TOKENVAULT_VAULT at one"
            )
        member = self.choose_member()
        passphrase = self.passphrase.read(f"Passphrase for {member} ({self.vault}): ")
        session = services.unlock(self.vault, member, passphrase)
        report_unlock(session.unlock_info, rollback_warning=rollback_warning)
        return session

    @contextlib.contextmanager
    def session(self, *, rollback_warning: bool = True) -> Iterator[services.Session]:
        """An unlocked session, locked again on the way out. `verify` reports a rollback
        as its own error, so it turns the warning off."""
        session = self.unlock(rollback_warning=rollback_warning)
        try:
            yield session
        finally:
            session.lock()


def report_unlock(info: services.UnlockInfo, *, rollback_warning: bool = True) -> None:
    for failed in info.failed_attempts:
        warn(
            f"{failed.count} failed unlock attempt(s) for {failed.member} between "
            f"{format_ts(failed.first)} and {format_ts(failed.last)}"
        )
    if info.rollback and rollback_warning:
        warn(f"ROLLBACK OR FORK: {info.rollback}; writes are refused")
    if info.repaired:
        warn(info.repaired)
    for text in info.warnings:
        warn(text)


def globals_of(ctx: click.Context) -> Globals:
    obj = ctx.find_root().obj
    if not isinstance(obj, Globals):
        raise RuntimeError("the root command did not set up its options")
    return obj


pass_globals = click.make_pass_decorator(Globals)
