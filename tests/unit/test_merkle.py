"""RFC 6962 / 9162 Merkle tree: the published test vectors, and properties beyond them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenvault.domain import merkle

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "rfc6962.json").read_text()
)
LEAVES = [merkle.hash_leaf(bytes.fromhex(x)) for x in VECTORS["leaves_hex"]]


def test_empty_tree_root() -> None:
    assert merkle.root_of([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert merkle.Frontier().root() == merkle.EMPTY_ROOT


@pytest.mark.parametrize(("size", "root"), sorted(VECTORS["roots_by_size"].items()))
def test_roots(size: str, root: str) -> None:
    n = int(size)
    assert merkle.root_of(LEAVES[:n]).hex() == root
    assert merkle.Frontier.of(LEAVES[:n]).root().hex() == root


@pytest.mark.parametrize("case", VECTORS["inclusion"])
def test_inclusion_proofs(case: dict[str, Any]) -> None:
    index, size = case["leaf_index_1based"] - 1, case["tree_size"]
    proof = merkle.inclusion_proof(LEAVES[:size], index)
    assert [p.hex() for p in proof] == case["path"]
    root = merkle.root_of(LEAVES[:size])
    assert merkle.verify_inclusion(LEAVES[index], index, size, proof, root)


@pytest.mark.parametrize("case", VECTORS["consistency"])
def test_consistency_proofs(case: dict[str, Any]) -> None:
    old, new = case["size1"], case["size2"]
    proof = merkle.consistency_proof(LEAVES[:new], old)
    assert [p.hex() for p in proof] == case["proof"]
    assert merkle.verify_consistency(
        old, new, merkle.root_of(LEAVES[:old]), merkle.root_of(LEAVES[:new]), proof
    )


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(
    lambda data: [merkle.hash_leaf(d + i.to_bytes(2, "big")) for i, d in enumerate(data)]
)


@given(leaf_lists, st.data())
def test_proofs_verify_and_reject_wrong_inputs(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    root = merkle.root_of(leaves)
    assert merkle.Frontier.of(leaves).root() == root
    index = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(leaves, index)
    assert merkle.verify_inclusion(leaves[index], index, n, proof, root)
    assert not merkle.verify_inclusion(merkle.hash_leaf(b"other"), index, n, proof, root)
    if n > 1:
        assert not merkle.verify_inclusion(leaves[index], (index + 1) % n, n, proof, root)
    old = data.draw(st.integers(1, n))
    cproof = merkle.consistency_proof(leaves, old)
    old_root = merkle.root_of(leaves[:old])
    assert merkle.verify_consistency(old, n, old_root, root, cproof)
    if old < n:
        assert not merkle.verify_consistency(old, n, merkle.hash_leaf(b"x"), root, cproof)
        assert not merkle.verify_consistency(old, n, old_root, merkle.hash_leaf(b"x"), cproof)


def test_frontier_append_matches_full_recompute_at_every_size() -> None:
    frontier = merkle.Frontier()
    leaves: list[bytes] = []
    for i in range(300):
        leaf = merkle.hash_leaf(i.to_bytes(4, "big"))
        leaves.append(leaf)
        frontier.append(leaf)
        assert frontier.valid()
        assert frontier.root() == merkle.root_of(leaves)


def test_bad_proof_arguments() -> None:
    with pytest.raises(ValueError, match="outside"):
        merkle.inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError, match="between"):
        merkle.consistency_proof(LEAVES[:3], 0)
    assert not merkle.verify_inclusion(LEAVES[0], 5, 3, [], merkle.root_of(LEAVES[:3]))
    assert not merkle.verify_consistency(0, 3, b"", b"", [])
    assert not merkle.verify_consistency(2, 3, merkle.root_of(LEAVES[:2]), b"", [])
