"""The issuer side: a training centre's home folder, keys, issuance and (later) the web service."""
