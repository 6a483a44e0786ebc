"""Shared fixtures: a fixed, steppable clock; a real vault built once per test session at the
Argon2 floor and copied per test (same files, own directory); an unlocked session.

Everything is real: SQLCipher files, Argon2id, Ed25519, HPKE. Only the clock is ours.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tokenvault import services
from tokenvault.crypto.kdf import FLOOR
from tokenvault.domain.model import Secret
from tokenvault.services import CreatedVault, Session

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PASSPHRASE = "correct horse battery staple"
MEMBER = "alice"


class StepClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Template:
    path: Path
    created: CreatedVault


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    root = tmp_path_factory.mktemp("template")
    created = services.create_vault(
        root / "vault",
        name="Ops team",
        member_id=MEMBER,
        passphrase=Secret(PASSPHRASE),
        display_name="Alice Ops",
        kdf=FLOOR,
        clock=StepClock(T0),
        state_dir=root / "state",
    )
    return Template(root / "vault", created)


@pytest.fixture
def clock() -> StepClock:
    return StepClock(T0 + timedelta(hours=1))


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def vault_dir(template: Template, tmp_path: Path) -> Path:
    """A private copy of the template vault (same vault id, its own files)."""
    target = tmp_path / "vault"
    shutil.copytree(template.path, target)
    return target


@pytest.fixture
def session(vault_dir: Path, clock: StepClock, state_dir: Path) -> Iterator[Session]:
    s = services.unlock(vault_dir, MEMBER, Secret(PASSPHRASE), clock=clock, state_dir=state_dir)
    yield s
    s.lock()


def unlock(
    vault_dir: Path,
    clock: StepClock,
    state_dir: Path,
    member: str = MEMBER,
    passphrase: str = PASSPHRASE,
) -> Session:
    return services.unlock(vault_dir, member, Secret(passphrase), clock=clock, state_dir=state_dir)
