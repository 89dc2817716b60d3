"""`ccserver` command line. Each subcommand lives beside the code it drives; this only dispatches."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    from ccserver.main import serve

    return serve()


def _migrate(args: argparse.Namespace) -> int:
    from ccserver.crm.migrate import migrate_command

    return migrate_command(revision=args.revision, downgrade=args.downgrade)


def _sandbox(args: argparse.Namespace) -> int:
    from ccserver.sandbox.cli import sandbox_command

    return sandbox_command(args.action)


def _config_check(args: argparse.Namespace) -> int:
    from ccserver.ops.config_check import config_check_command

    return config_check_command(args.dir, live=not args.no_asterisk)


def _apikey_create(args: argparse.Namespace) -> int:
    from ccserver.crm.apikeys import apikey_create_command

    return apikey_create_command(role=args.role, name=args.name)


def _acd_load(args: argparse.Namespace) -> int:
    from ccserver.crm.acd_cli import acd_load_command

    return acd_load_command(args.file)


def _prompts_render(args: argparse.Namespace) -> int:
    from ccserver.prompts.cli import prompts_render_command

    return prompts_render_command(args.src, args.out, args.voice)


def _bench(args: argparse.Namespace) -> int:
    from ccserver.bench import bench_command

    return bench_command(args.name, args.options)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccserver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run HTTP + FastAGI + AMI in one asyncio process")
    p.set_defaults(func=_serve)

    p = sub.add_parser("migrate", help="apply the Alembic migrations in migrations/")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--downgrade", action="store_true", help="downgrade to REVISION instead")
    p.set_defaults(func=_migrate)

    p = sub.add_parser("sandbox", help="the real Asterisk 22 sandbox (a Debian sid chroot)")
    p.add_argument("action", choices=["up", "down", "status", "reload"])
    p.set_defaults(func=_sandbox)

    p = sub.add_parser("config", help="configuration tools")
    csub = p.add_subparsers(dest="config_command", required=True)
    c = csub.add_parser("check", help="validate asterisk-conf/, dialplans/, IVR flows and routing config")
    c.add_argument("--dir", default=".", help="project directory holding asterisk-conf/ and dialplans/")
    c.add_argument(
        "--no-asterisk", action="store_true", help="skip loading the files into a scratch sandbox Asterisk"
    )
    c.set_defaults(func=_config_check)

    p = sub.add_parser("apikey", help="API keys")
    asub = p.add_subparsers(dest="apikey_command", required=True)
    a = asub.add_parser("create", help="print a new API key once")
    a.add_argument("--role", required=True, choices=["admin", "supervisor", "agent", "integrator"])
    a.add_argument("--name", required=True)
    a.set_defaults(func=_apikey_create)

    p = sub.add_parser("acd", help="the ACD's configuration: skills, reason codes, queues, agents")
    dsub = p.add_subparsers(dest="acd_command", required=True)
    d = dsub.add_parser("load", help="check acd.yaml and upsert it into the database; write agents' PJSIP endpoints")
    d.add_argument("file", nargs="?", type=Path, help="default: dialplans/acd.yaml")
    d.set_defaults(func=_acd_load)

    p = sub.add_parser("prompts", help="IVR prompts")
    psub = p.add_subparsers(dest="prompts_command", required=True)
    r = psub.add_parser("render", help="render ivr_prompts/<lang>/<name>.txt to 8 kHz WAV (only what changed)")
    r.add_argument("--src", type=Path, default=Path("ivr_prompts"), help="text prompts (default: ivr_prompts)")
    r.add_argument("--out", type=Path, default=Path("build/prompts"), help="output: <out>/<lang>/ccserver/<name>.wav")
    r.add_argument("--voice", action="append", default=[], metavar="LANG=VOICE", help="espeak-ng voice for LANG")
    r.set_defaults(func=_prompts_render)

    p = sub.add_parser("bench", help="benchmarks; each prints its figures beside a baseline")
    p.add_argument("name", nargs="?", default="all")
    p.add_argument("options", nargs=argparse.REMAINDER)
    p.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
