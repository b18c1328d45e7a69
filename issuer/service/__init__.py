"""The centre's operations: one service layer over one database for every path.

The web pages, the JSON API and the command line (`issue`, `issue-batch`, `demo`,
`revoke|suspend|reinstate`, printing) all go through these modules, each operation inside
one database transaction (`issuer.store.Store.transaction`) and each change audited:

- `accounts`: users, sign-in, browser sessions, API tokens, the command line's own account
- `passwords`: the rule a new password must pass
- `throttle`: failed sign-ins counted per account and per client address
- `candidates`: returnees, registered at the desk or found by national ID from a batch row
- `evidence`: uploaded evidence files, stored by content hash
- `assessments`: RPL assessments, judgments and decisions
- `issuance`: signing and recording credentials, each in a status slot from `status`
- `credentials`: finding what was issued (by id or the number printed on the card)
- `downloads`: one-time links a holder's phone fetches their credentials with
- `status`: the slot allocator, revocation and suspension, the lists' bits
- `publication`: the signed status lists and the trust bundle, derived from the database
"""
