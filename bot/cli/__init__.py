"""The `branchbot` command. Each group of subcommands lives in its own module with a register(subparsers);
`bot.cli.common` is what they share (opening the database, errors as one line and an exit code)."""

from __future__ import annotations

import argparse
import os
import signal
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


# What a shell reports for a process ended by SIGPIPE (128 + 13): `branchbot member list | head` ends as
# `yes | head` does.
EXIT_BROKEN_PIPE = 128 + getattr(signal, "SIGPIPE", 13)


def _quiet_broken_pipe() -> int:
    """The reader went away (`| head`, `| less` quit, a closed pipe): stop without a traceback.

    Python ignores SIGPIPE, so a write to a closed pipe raises BrokenPipeError. We do not restore the
    default SIGPIPE action instead (the usual one-liner): `branchbot run` writes to sockets, and a peer
    that hangs up must not kill the bot. stdout goes to /dev/null so that the interpreter's final flush
    of what is still buffered does not raise again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # stdout is not a real file (tests capture it)
        pass
    return EXIT_BROKEN_PIPE


def main(argv: list[str] | None = None) -> int:
    """Run one command; its errors reach the operator as one line on stderr and exit code 2; a closed
    pipe ends it quietly with 141."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)   # --help into a closed pipe is covered too
        try:
            result = int(args.func(args) or 0)
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            raise
        except Exception as exc:
            error = as_cli_error(exc)
            if error is None:
                raise
            print(f"branchbot: {error}", file=sys.stderr)
            result = EXIT_ERROR
        sys.stdout.flush()   # inside the try: a broken pipe found at the last flush is quiet as well
        return result
    except BrokenPipeError:
        return _quiet_broken_pipe()
