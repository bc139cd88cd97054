"""The `branchbot` command. Each group of subcommands lives in its own module with a register(subparsers);
`bot.cli.common` is what they share (opening the database, errors as one line and an exit code)."""

from __future__ import annotations

import argparse
import sys

from bot.cli import admin, case, export, invite, members, roster_import, run, scan, stats, transfers
from bot.cli.common import EXIT_ERROR, CliError, as_cli_error, operator_tr
from bot.i18n import N_

__all__ = ["COMMAND_MODULES", "CliError", "build_parser", "main"]

# Modules that add subcommands: each defines register(subparsers) and sets `func` on its parsers.
COMMAND_MODULES = (
    admin,      # init, org, template, audit, backup
    roster_import,  # import
    members,    # member, grant
    invite,     # invite (one member or officer, the unbound members' sheet, the join link)
    run,        # run, demo
    scan,       # scan
    case,       # case list/show and each disposition step
    export,     # export
    transfers,  # province, transfer-in
    stats,      # stats
)


def build_parser() -> argparse.ArgumentParser:
    tr = operator_tr()
    parser = argparse.ArgumentParser(prog="branchbot",
                                     description=tr.gettext(N_("branchbot: keep every Party member within reach")))
    parser.add_argument("--db", help=tr.gettext(N_("SQLite database file (default: BRANCHBOT_DATABASE or "
                                                    "data/branchbot.db)")))
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; its errors reach the operator as one line on stderr and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
        return int(result or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        error = as_cli_error(exc)
        if error is None:
            raise
        print(f"branchbot: {error}", file=sys.stderr)
        return EXIT_ERROR
