"""The national authority's offline tooling: root keys, accreditation, key lifecycle, trust list
signing (k of n officials), and the national trust bundle. Depends on `passport` only."""
