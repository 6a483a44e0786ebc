"""The only package that imports sqlcipher3: connection and pragmas, schema and migrations,
row <-> model mapping, and the private-file helpers (fs)."""
