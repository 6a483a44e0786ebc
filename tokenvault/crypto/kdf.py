"""Argon2id: passphrase -> key-encryption key, with parameters checked before any hashing.

Bounds (design.md §4): the floor is RFC 9106's second recommendation (64 MiB, t=3); anything
weaker is a downgrade and refused. The ceiling (2 GiB, t=10, p=16) exists because the
parameters come from a file an attacker may edit: without it, t=2^32-1 hangs unlock for
minutes. Parallelism only spreads the same memory over lanes; it does not change an attacker's
cost, so it has no floor beyond 1.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw

from tokenvault.domain.errors import IntegrityError, ValidationError
from tokenvault.domain.model import Secret

ARGON2_VERSION = 19  # 0x13, the only version RFC 9106 defines
SALT_BYTES = 16  # RFC 9106 §3.1: 128 bits is sufficient for all applications
KEY_BYTES = 32  # AES-256 key-encryption key


@dataclass(frozen=True, slots=True)
class KdfParams:
    memory_kib: int
    time_cost: int
    parallelism: int

    def to_json(self, salt: bytes) -> dict[str, Any]:
        return {
            "alg": "argon2id",
            "version": ARGON2_VERSION,
            "memory_kib": self.memory_kib,
            "time_cost": self.time_cost,
            "parallelism": self.parallelism,
            "salt": salt.hex(),
        }


FLOOR = KdfParams(memory_kib=64 * 1024, time_cost=3, parallelism=4)
DEFAULT = KdfParams(memory_kib=256 * 1024, time_cost=3, parallelism=4)
CEILING = KdfParams(memory_kib=2 * 1024 * 1024, time_cost=10, parallelism=16)
_MIN_PARALLELISM = 1


def check_params(params: KdfParams) -> KdfParams:
    """Refuse parameters below the floor or above the ceiling (before anything is hashed)."""
    for name, value in (
        ("memory_kib", params.memory_kib),
        ("time_cost", params.time_cost),
        ("parallelism", params.parallelism),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Argon2 {name} must be an integer")
    if params.memory_kib < FLOOR.memory_kib or params.time_cost < FLOOR.time_cost:
        raise ValidationError(
            f"Argon2 parameters below the floor (m >= {FLOOR.memory_kib} KiB, "
            f"t >= {FLOOR.time_cost}) are refused as a downgrade"
        )
    if params.parallelism < _MIN_PARALLELISM:
        raise ValidationError("Argon2 parallelism must be at least 1")
    if (
        params.memory_kib > CEILING.memory_kib
        or params.time_cost > CEILING.time_cost
        or params.parallelism > CEILING.parallelism
    ):
        raise ValidationError(
            f"Argon2 parameters above the ceiling (m <= {CEILING.memory_kib} KiB, "
            f"t <= {CEILING.time_cost}, p <= {CEILING.parallelism}) are refused"
        )
    return params


def params_from_json(raw: Any, where: str) -> tuple[KdfParams, bytes]:
    """Parse a key slot's `kdf` object strictly; an IntegrityError names the slot."""
    expected = {"alg", "version", "memory_kib", "time_cost", "parallelism", "salt"}
    if not isinstance(raw, Mapping) or set(raw) != expected:
        raise IntegrityError(f"keys.json: {where}: kdf object has the wrong fields")
    version = raw["version"]
    if raw["alg"] != "argon2id" or type(version) is not int or version != ARGON2_VERSION:
        raise IntegrityError(f"keys.json: {where}: only Argon2id version 19 is accepted")
    salt_hex = raw["salt"]
    if (
        not isinstance(salt_hex, str)
        or re.fullmatch(f"[0-9a-f]{{{2 * SALT_BYTES}}}", salt_hex) is None
    ):
        raise IntegrityError(
            f"keys.json: {where}: salt must be {SALT_BYTES} bytes of lowercase hex"
        )
    salt = bytes.fromhex(salt_hex)
    try:
        params = check_params(KdfParams(raw["memory_kib"], raw["time_cost"], raw["parallelism"]))
    except ValidationError as exc:
        raise IntegrityError(f"keys.json: {where}: {exc}") from None
    return params, salt


def derive_kek(passphrase: Secret, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id(passphrase, salt) -> 32-byte key-encryption key. Parameters are re-checked."""
    check_params(params)
    return hash_secret_raw(
        secret=passphrase.expose(),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
        version=ARGON2_VERSION,
    )


def measure_seconds(params: KdfParams) -> float:
    """Wall time of one derivation with these parameters on this machine."""
    start = time.perf_counter()
    derive_kek(Secret(b"calibration"), b"\x00" * SALT_BYTES, params)
    return time.perf_counter() - start


def calibrate(
    target_seconds: float = 0.5,
    *,
    measure: Callable[[KdfParams], float] = measure_seconds,
    start: KdfParams = DEFAULT,
) -> KdfParams:
    """Parameters that take about `target_seconds` here, never below the floor.

    Memory is the expensive resource for an attacker, so it is reduced last-resort only on a
    slow machine (halving towards the floor); on a fast machine the time cost rises instead.
    At most eight measurements are taken.
    """
    params = check_params(start)
    for _ in range(8):
        elapsed = measure(params)
        if elapsed > 1.5 * target_seconds and params.memory_kib > FLOOR.memory_kib:
            params = KdfParams(
                max(FLOOR.memory_kib, params.memory_kib // 2), params.time_cost, params.parallelism
            )
            continue
        if elapsed < 0.5 * target_seconds and params.time_cost < CEILING.time_cost:
            per_pass = elapsed / params.time_cost
            wanted = int(target_seconds / per_pass) if per_pass > 0 else CEILING.time_cost
            params = KdfParams(
                params.memory_kib,
                max(params.time_cost + 1, min(CEILING.time_cost, wanted)),
                params.parallelism,
            )
            continue
        break
    return params
