"""The vocabulary: model, policy and status, journal encoding, Merkle tree, replay, errors.

Standard library and rfc8785 only; time is always a parameter.
"""
