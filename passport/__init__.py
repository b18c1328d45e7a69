"""Skills Passport core: credentials, signatures, the QR codec, trust and status lists.

This package never imports Flask, a database driver, `issuer` or `verifier`.
"""

__version__ = "0.1.0"
