"""Issuer-side commands: `init`, `demo`, `serve`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from issuer.demo import demo_profile, write_demo
from issuer.home import Home, home_path, passphrase

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register_init(sub: Sub) -> None:
    p = sub.add_parser("init", help="create the home folder ($SKILLPASS_HOME): keys, trust bundle")
    p.set_defaults(func=run_init)


def run_init(args: argparse.Namespace) -> int:
    home = Home(home_path())
    if home.init(demo_profile(), passphrase(), datetime.now(UTC)):
        print(f"Created home {home.root}: demo root key, issuer key (both sealed), trust bundle.")
    else:
        print(f"Home {home.root} already exists; nothing changed.")
    return 0


def register_demo(sub: Sub) -> None:
    p = sub.add_parser("demo", help="issue sample credentials into a folder")
    p.add_argument("--out", required=True, help="folder for NAME.jwt, NAME.qr.txt, trust bundle")
    p.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    home = Home(home_path())
    for path in write_demo(home, passphrase(), Path(args.out), datetime.now(UTC)):
        print(path)
    return 0


def register_issue(sub: Sub) -> None:
    p = sub.add_parser("issue", help="decide and sign an assessment or a training completion")
    p.add_argument("file", help="ASSESSMENT.json (RplAssessment) or a TrainingCompletion file")
    p.add_argument("--out", required=True, help="folder for the decision, NAME.jwt, NAME.qr.txt")
    p.set_defaults(func=run_issue)


def run_issue(args: argparse.Namespace) -> int:
    from issuer.issuing import issue_file
    from rpl_rubrics.cli import render_decision

    home = Home(home_path())
    secret = passphrase()
    issued = issue_file(home, home.issuer_key(secret), Path(args.file), Path(args.out),
                        at=datetime.now(UTC))
    if issued.decision is not None:
        print(render_decision(issued.decision))
    print(f"Issued {issued.credential.id} ({issued.credential.achievement.type.value}); "
          f"QR text {len(issued.qr_text)} characters")
    for path in issued.files:
        print(path)
    return 0


def register_serve(sub: Sub) -> None:
    p = sub.add_parser("serve", help="serve the product on http://HOST:PORT")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from issuer.static_site import serve

    serve(Home(home_path()), passphrase(), args.host, args.port)
    return 0
