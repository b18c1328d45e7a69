"""One-off tools run by maintainers (not installed): e.g. building a QR codec dictionary."""
