"""Argon2id bounds are checked before hashing; calibration stays within them."""

from __future__ import annotations

from typing import Any

import pytest

from tokenvault.crypto import kdf
from tokenvault.domain.errors import IntegrityError, ValidationError
from tokenvault.domain.model import Secret


def test_floor_default_ceiling_are_ordered_and_as_designed() -> None:
    assert kdf.KdfParams(64 * 1024, 3, 4) == kdf.FLOOR
    assert kdf.KdfParams(256 * 1024, 3, 4) == kdf.DEFAULT
    assert kdf.KdfParams(2 * 1024 * 1024, 10, 16) == kdf.CEILING


@pytest.mark.parametrize(
    "params",
    [
        kdf.KdfParams(64 * 1024 - 1, 3, 4),
        kdf.KdfParams(64 * 1024, 2, 4),
        kdf.KdfParams(2 * 1024 * 1024 + 1, 3, 4),
        kdf.KdfParams(64 * 1024, 11, 4),
        kdf.KdfParams(64 * 1024, 3, 17),
        kdf.KdfParams(64 * 1024, 3, 0),
        kdf.KdfParams(64 * 1024, 2**32 - 1, 4),
        kdf.KdfParams(-1, 3, 4),
    ],
)
def test_out_of_bounds_refused(params: kdf.KdfParams) -> None:
    with pytest.raises(ValidationError):
        kdf.check_params(params)
    with pytest.raises(ValidationError):
        kdf.derive_kek(Secret("x"), b"\x00" * 16, params)


@pytest.mark.parametrize("bad", ["65536", 65536.0, True, None])
def test_wrong_types_refused(bad: Any) -> None:
    with pytest.raises(ValidationError, match="integer"):
        kdf.check_params(kdf.KdfParams(bad, 3, 4))


def test_derivation_is_deterministic_and_salted() -> None:
    a = kdf.derive_kek(Secret("pw"), b"\x01" * 16, kdf.FLOOR)
    assert a == kdf.derive_kek(Secret("pw"), b"\x01" * 16, kdf.FLOOR)
    assert a != kdf.derive_kek(Secret("pw"), b"\x02" * 16, kdf.FLOOR)
    assert a != kdf.derive_kek(Secret("pW"), b"\x01" * 16, kdf.FLOOR)
    assert len(a) == 32


def test_params_from_json_is_strict() -> None:
    good = kdf.FLOOR.to_json(b"\x00" * 16)
    assert kdf.params_from_json(good, "slot x") == (kdf.FLOOR, b"\x00" * 16)
    for broken in (
        {**good, "alg": "argon2i"},
        {**good, "version": 16},
        {**good, "salt": "00" * 8},
        {**good, "salt": "zz" * 16},
        {**good, "extra": 1},
        {k: v for k, v in good.items() if k != "salt"},
        {**good, "memory_kib": 1024},
    ):
        with pytest.raises(IntegrityError, match="slot x"):
            kdf.params_from_json(broken, "slot x")


def _model(seconds_per_gib_pass: float) -> Any:
    def measure(params: kdf.KdfParams) -> float:
        return seconds_per_gib_pass * params.memory_kib / (1024 * 1024) * params.time_cost

    return measure


def test_calibration_on_a_fast_machine_raises_time_cost() -> None:
    params = kdf.calibrate(0.5, measure=_model(0.1))  # default takes 0.075 s here
    assert params.memory_kib == kdf.DEFAULT.memory_kib
    assert params.time_cost > kdf.DEFAULT.time_cost
    assert params.time_cost <= kdf.CEILING.time_cost


def test_calibration_on_a_slow_machine_lowers_memory_not_below_the_floor() -> None:
    params = kdf.calibrate(0.5, measure=_model(40.0))  # default takes 30 s here
    assert params == kdf.KdfParams(kdf.FLOOR.memory_kib, 3, 4)


def test_calibration_near_target_keeps_default() -> None:
    assert kdf.calibrate(0.5, measure=_model(0.6)) == kdf.DEFAULT
