"""Regenerate README's table of measured figures from bench/results*.json.

`make bench` runs this last, so README never states a figure the last run did not measure;
`tests/test_readme.py` fails when README and the committed results disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _kilo(value: object) -> float:
    """A figure in thousands (ms as s, bytes as kB)."""
    return float(str(value)) / 1000


def _load(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((ROOT / "bench" / name).read_text())
    return data


def table() -> str:
    core, cards = _load("results.json"), _load("results-cards.json")
    api, ver = _load("results-api.json"), _load("results-verifier.json")
    batch, store = _load("results-batch.json"), _load("results-store.json")
    fuzz, bulk = _load("results-fuzz.json"), _load("results-bulk.json")
    pages = _load("results-pages.json")
    small, large = (_rows(batch, n) for n in ("500", "5000"))
    growth = _dict(store["growth"])
    rows = [
        ("credential JSON", f"{core['credential_json_bytes']:,} bytes"),
        ("compact JWS", f"{core['jws_chars']:,} characters"),
        ("QR text (codec v2; v1 in the same run)",
         f"{core['qr_text_chars']} characters (v1: {core['qr_v1_text_chars']})"),
        ("QR version (codec v2; v1 in the same run)",
         f"{core['qr_version_at_ecc_q']} at ECC Q (the codec's level), "
         f"{core['qr_version_at_ecc_m']} at ECC M (v1: {core['qr_v1_version_at_ecc_q']} at "
         "ECC Q)"),
        ("sign a credential", f"{core['sign_credential_per_s']:,} /s, {core['sign_time_vs_raw_x']}x "
                              f"the time of raw pynacl sign ({core['raw_pynacl_sign_per_s']:,} /s)"),
        ("verify from QR text", f"{core['verify_from_qr_text_per_s']:,} /s "
                                f"({core['verify_from_qr_us_per_call']} µs), "
                                f"{core['verify_from_qr_time_vs_raw_x']}x the time of raw pynacl "
                                f"verify ({core['raw_pynacl_verify_per_s']:,} /s); a v1 text "
                                f"in the same run: {core['verify_from_qr_v1_us_per_call']} µs, "
                                f"{core['verify_from_qr_v1_time_vs_raw_x']}x"),
        ("issue a card (sign + QR text + QR symbol + 300 dpi PNG), one core",
         f"{cards['cards_per_s_one_core']} /s ({cards['card_ms']} ms; raw pynacl sign in the "
         f"same run: {cards['raw_pynacl_sign_per_s']:,} /s)"),
        ("`issue-batch` of 5,000 rows (database, credentials, cards, the print sheet), "
         "peak memory", f"{large['peak_rss_mib']} MiB, {large['seconds']} s; 500 rows in the "
                        f"same run: {small['peak_rss_mib']} MiB, {small['seconds']} s; the same "
                        f"code only loaded: {batch['baseline_load_only_mib']} MiB"),
        ("issuing on status list 3 (after 262,144 slots), one transaction each",
         f"{growth['issue_ms_on_list_3']} ms per credential, "
         f"{growth['valid_on_list_3']}/{growth['issued_per_list']} verify valid, a revoked one "
         f"reads `{growth['revoked_on_list_3_reads']}`; on list 1 in the same run: "
         f"{growth['issue_ms_on_list_1']} ms"),
        (f"{api['issuances']:,} issuances through the HTTP API ({api['server']}, "
         f"{api['client_threads']} client threads)",
         f"{api['issuances_seconds']} s ({api['issuances_per_s']} /s)"),
        (f"{api['rpl_assessments_start_judge_issue']} RPL assessments through the API "
         "(start, judgments, issue)", f"{api['rpl_assessments_seconds']} s"),
        ("`skillpass verify` path from a 640 px card photo (JPEG), median",
         f"{ver['verify_card_photo_640px_median_ms']} ms"),
        ("`skillpass verify` path from QR text, median", f"{ver['verify_qr_text_median_ms']} ms"),
        (f"`skillpass verify -` of {bulk['qr_texts']:,} QR texts ({bulk['candidates']} "
         "candidates), one call, start-up included, median",
         f"{bulk['bulk_verify_seconds']} s ({bulk['bulk_verify_per_s']:,} /s)"),
        ("`skillpass verify QR` cold start (one card, start-up included), median",
         f"{bulk['single_verify_cold_ms']} ms, {bulk['single_vs_bare_x']}x a bare "
         f"`python -c pass` in the same run ({bulk['bare_python_start_ms']} ms)"),
        ("holder page (`holder.html`), first visit on a 390x844 phone over an emulated slow "
         f"link ({pages['link']}), median of {pages['runs']}",
         f"usable after {_kilo(pages['holder_first_ms']):.1f} s and "
         f"{_kilo(pages['holder_first_bytes']):.0f} kB (the verifier page in the same run: "
         f"{_kilo(pages['verifier_first_ms']):.1f} s, {_kilo(pages['verifier_first_bytes']):.0f} "
         f"kB); reopened offline in {pages['holder_offline_ms']} ms; "
         f"{_kilo(pages['holder_cache_bytes']):.0f} kB kept for offline use (both pages, the "
         "QR reader included)"),
        ("QR text encode (template packing, deflate search, Base45)",
         f"{core['qr_encode_per_s']:,} /s"),
        ("fuzz run (`bench/bench_fuzz.py`): hostile inputs to the QR codec, the verifier and "
         "the trust bundle loader, mutated at every layer",
         f"{fuzz['cases']:,} inputs over {len(_dict(fuzz['targets']))} targets (seed "
         f"{fuzz['seed']}), {fuzz['crashes']} crashes, {fuzz['seconds']} s"),
    ]
    lines = [f"Measured on: {core['machine']}.", "", "| figure | value |", "| --- | --- |"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    kinds = _dict(core["per_kind"])
    lines += ["", "QR size per credential kind: the largest the product issues of each (every "
                  f"bundled rubric; a statement lists all units but one), holder "
                  f"{kinds['holder_name']} / {kinds['holder_name_km']} (the demo data's "
                  "longest names), a 40-character course title, issued at a time with seconds:",
              "", "| kind | credentials | QR text, v1 | QR version at ECC Q, v1 | QR text, v2 "
                  "| QR version at ECC Q, v2 |", "| --- | --- | --- | --- | --- | --- |"]
    for kind, label in (("certificate", "RPL full certificate"),
                        ("statement", "RPL statement of attainment"),
                        ("training", "TVET training record")):
        lines.append(f"| {label} | {kinds[f'{kind}_count']} | "
                     f"{kinds[f'{kind}_v1_chars_max']} characters | "
                     f"{kinds[f'{kind}_v1_version_q_max']} | "
                     f"{kinds[f'{kind}_v2_chars_max']} characters | "
                     f"{kinds[f'{kind}_v2_version_q_max']} |")
    lines += ["", f"Publication by one centre, over HTTP ({store['server']}), median of "
                  f"{store['requests_per_figure']} requests, "
                  f"{float(str(store['revoked_share'])) * 100:g}% of credentials revoked at "
                  "random:", "",
              "| request | SQLite, 1,000 credentials | SQLite, 500,000 | PostgreSQL, 1,000 "
              "| PostgreSQL, 500,000 |", "| --- | --- | --- | --- | --- |"]
    for label, key in (("status list", "status_list_ms"), ("status list, 304", "status_list_304_ms"),
                       ("trust bundle", "trust_bundle_ms"),
                       ("trust bundle, 304", "trust_bundle_304_ms")):
        cells = [f"{_dict(_dict(store[db])[n])[key]} ms" for db in ("sqlite", "postgresql")
                 for n in ("1000", "500000")]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    sizes = [f"{_dict(_dict(store[db])[n])['trust_bundle_bytes']:,} bytes, "
             f"{_dict(_dict(store[db])[n])['status_lists_in_bundle']} lists"
             for db in ("sqlite", "postgresql") for n in ("1000", "500000")]
    lines.append(f"| (trust bundle size) | {' | '.join(sizes)} |")
    nat = _load("results-national.json")
    big, one = _dict(nat["national"]), _dict(nat["single_centre"])
    lines += ["", f"The national trust bundle: {nat['centres']} centres, {nat['credentials']:,} "
                  f"credentials, {float(str(nat['revoked_share'])) * 100:g}% revoked at random, "
                  f"trust lists signed by {nat['officials']} officials; one centre's own bundle "
                  "in the same run:", "",
              "| figure | national bundle | one centre's bundle |", "| --- | --- | --- |",
              f"| size | {big['bundle_bytes']:,} bytes, {big['status_lists']} status lists | "
              f"{one['bundle_bytes']:,} bytes, {one['status_lists']} status lists |",
              f"| `skillpass authority bundle` (from the centres' published files) | "
              f"{nat['authority_bundle_seconds']} s | |",
              f"| `skillpass trust sync` over HTTP (start-up included) | "
              f"{nat['trust_sync_seconds']} s | |",
              f"| load and check the bundle | {big['load_ms']} ms | {one['load_ms']} ms |",
              f"| verify one credential (QR text) with it | {big['verify_us']} µs | "
              f"{one['verify_us']} µs |"]
    return "\n".join(lines)


def _dict(value: object) -> dict[str, object]:
    assert isinstance(value, dict)
    return value


def _rows(batch: dict[str, object], rows: str) -> dict[str, object]:
    return _dict(batch[f"rows_{rows}"])


def render(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> None:
    path = ROOT / "README.md"
    path.write_text(render(path.read_text()))
    print("README figures updated", file=sys.stderr)


if __name__ == "__main__":
    main()
