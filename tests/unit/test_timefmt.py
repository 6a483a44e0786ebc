"""The canonical timestamp: the f-string writer is strftime's text, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain.errors import ValidationError
from tokenvault.domain.timefmt import format_ts, parse_ts, truncate_ms

zones = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def _strftime_form(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# naive bounds, as st.datetimes wants; the zone is attached below
@given(st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31)), zones)  # noqa: DTZ001
def test_format_ts_is_the_strftime_text(naive: datetime, zone: timezone) -> None:
    moment = naive.replace(tzinfo=zone)
    assert format_ts(moment) == _strftime_form(moment)


def test_years_before_1000_keep_strftime_text_and_are_refused() -> None:
    moment = datetime(999, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert format_ts(moment) == _strftime_form(moment)
    with pytest.raises(ValidationError):
        truncate_ms(moment)


def test_round_trip() -> None:
    moment = datetime(2026, 11, 25, 9, 0, 1, 234999, tzinfo=UTC)
    assert format_ts(moment) == "2026-11-25T09:00:01.234Z"
    assert parse_ts(format_ts(moment)) == moment.replace(microsecond=234000)
