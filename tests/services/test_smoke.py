"""The whole life of one token, end to end, on a real vault."""

from __future__ import annotations

from tokenvault import services
from tokenvault.domain.model import Secret, Status
from tokenvault.domain.status import token_status
from tokenvault.services import Session, TokenDraft


def test_token_lifecycle_verifies(session: Session) -> None:
    token = services.tokens.add(
        session, TokenDraft(name="stripe-live", owner="alice", service="stripe"), Secret("sk_1")
    )
    assert token.current_version == 1
    assert services.tokens.reveal(session, "stripe-live").expose() == b"sk_1"
    rotated = services.tokens.rotate(session, "stripe-live", Secret("sk_2"))
    assert rotated.current_version == 2
    revoked = services.tokens.revoke(session, "stripe-live", "compromised", ticket="INC-7")
    policy = services.policy.show(session)
    assert token_status(revoked, policy, session.clock()) is Status.REVOKED
    report = services.verify(session)
    assert report.ok, report.problems
    assert report.entries == 2 + 4
