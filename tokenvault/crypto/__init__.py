"""The only package that imports `cryptography` and `argon2`.

kdf (Argon2id with bounds), edwards (Ed25519 public-key validation), signing, keys (member key
pairs, slot wrapping, HPKE-sealed data key), keyfile (keys.json and its MAC), fingerprint,
recovery codes. Every parameter and nonce choice says why next to it.
"""
