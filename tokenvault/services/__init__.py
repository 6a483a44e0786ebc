"""The use cases: the one API both faces (CLI and TUI) call.

    create_vault(dir, name=, member_id=, passphrase=)  -> CreatedVault (genesis hash, recovery)
    unlock(dir, member_id, passphrase)                 -> Session (unlock_info: failed attempts,
                                                          rollback warning, repairs)
    session.lock()
    tokens.add / edit / rotate / revoke / reveal / review / destroy_secrets / get /
          list_tokens / history
    members.add_member / remove_member / change_passphrase / list_members
    policy.show / update
    verify(session)                                    -> VerifyReport
    member_ids(dir)                                    -> who may unlock (before unlocking)
    last_seen_name(dir, state_dir)                     -> vault name at this client's last unlock
    inventory(session)                                 -> tokens + policy + now, one snapshot
    journal.recent(session, limit=, token=)            -> entries, newest first
    listing.token_rows(session)                        -> light rows for the TUI table
    tokens.add_many(session, [(draft, secret)])        -> one all-or-nothing transaction
    clipboard.system_clipboard() / copy_secret / clear_if_unchanged (both faces)
    due.due(session, within_days=) / due.write_ics    -> what is due (CLI `due`, TUI due view)
    findings.check(session)                            -> policy findings (CLI `check`, TUI)
    export.export_journal / export_journal_csv / export_inventory, prove.prove_entry
    imports.import_file (all or nothing); scan.scan (leaks and shadow tokens, one `scan`
          entry) over leakscan (Aho-Corasick), shadow (detect-secrets), scanfiles (the walk)

Every mutation is one BEGIN IMMEDIATE transaction holding the change, its signed journal
entry and the new signed checkpoint. Every function that cares about time uses the session's
clock (given to create_vault/unlock).
"""

from __future__ import annotations

from tokenvault.crypto.kdf import KdfParams
from tokenvault.services import journal, members, policy, tokens
from tokenvault.services.clock import Clock, system_clock
from tokenvault.services.create import RECOVERY_MEMBER, CreatedVault, create_vault
from tokenvault.services.inventory import Inventory, inventory
from tokenvault.services.labels import last_seen_name
from tokenvault.services.paths import default_state_dir, default_vault_dir
from tokenvault.services.session import FailedAttempts, Session, UnlockInfo
from tokenvault.services.tokens import TokenDraft
from tokenvault.services.unlock import member_ids, unlock
from tokenvault.services.verify import VerifyReport, verify

__all__ = [
    "RECOVERY_MEMBER",
    "Clock",
    "CreatedVault",
    "FailedAttempts",
    "Inventory",
    "KdfParams",
    "Session",
    "TokenDraft",
    "UnlockInfo",
    "VerifyReport",
    "create_vault",
    "default_state_dir",
    "default_vault_dir",
    "inventory",
    "journal",
    "last_seen_name",
    "member_ids",
    "members",
    "policy",
    "system_clock",
    "tokens",
    "unlock",
    "verify",
]
