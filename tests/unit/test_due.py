"""domain.due: which tokens need action and in what order (the due view's one rule)."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.test_cli_inputs import NOW, make_token
from tokenvault.domain.due import due_items
from tokenvault.domain.model import RevokeReason, Status
from tokenvault.domain.policy import DEFAULT_POLICY


def test_due_items_skip_ok_and_revoked_and_put_the_most_urgent_first() -> None:
    tokens = [
        make_token("fine"),
        make_token("gone", revoked_at=NOW, revoked_by="alice", revoke_reason=RevokeReason.OTHER),
        make_token("soon", expires_at=NOW + timedelta(days=3)),
        make_token("late", last_rotated_at=NOW - timedelta(days=100)),
        make_token("dead", expires_at=NOW - timedelta(hours=1)),
    ]
    items = due_items(tokens, DEFAULT_POLICY, NOW)
    assert [(i.token.name, i.status, i.what, i.days) for i in items] == [
        ("late", Status.OVERDUE, "rotation", -10),
        ("dead", Status.EXPIRED, "expires", 0),
        ("soon", Status.DUE, "expires", 3),
    ]
