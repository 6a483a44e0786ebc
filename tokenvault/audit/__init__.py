"""The offline verifier: checks a journal from its lines alone (no vault, no passphrase).

Imports only domain/, crypto/ verification code, the standard library, cryptography and rfc8785.
"""
