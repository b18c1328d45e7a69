"""The offline verifier: library entry points and the `verify` command. No issuer imports."""
