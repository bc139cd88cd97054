"""The `branchbot` command. Each group of subcommands lives in its own module with a register()."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

# Modules that add subcommands: each defines register(subparsers) and sets `func` on its parsers.
COMMAND_MODULES = (
    "bot.cli.admin",     # init, org, template, import, member, invite, grant, audit, backup
    "bot.cli.run",       # run, demo
    "bot.cli.scan",      # scan
)


class CliError(Exception):
    """An error to report in one line with a non-zero exit code."""


def build_parser() -> argparse.ArgumentParser:
    from bot.config import Settings
    from bot.i18n import N_, translator

    tr = translator(Settings().default_language)
    parser = argparse.ArgumentParser(prog="branchbot",
                                     description=tr.gettext(N_("branchbot: keep every Party member within reach")))
    parser.add_argument("--db", help=tr.gettext(N_("SQLite database file (default: BRANCHBOT_DATABASE or "
                                                    "data/branchbot.db)")))
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that group is not built yet
            raise
        module.register(sub)
    return parser


# What a shell reports for a process ended by SIGPIPE (128 + 13): `branchbot member list | head` ends as `yes | head` does.
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
    try:
        parser = build_parser()
        args = parser.parse_args(argv)   # --help into a closed pipe is covered too
        try:
            result = int(args.func(args) or 0)
        except CliError as exc:
            print(f"branchbot: {exc}", file=sys.stderr)
            result = 2
        sys.stdout.flush()   # inside the try: a broken pipe found at the last flush is quiet as well
        return result
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Run through the imported module, so CliError raised by subcommands is this module's CliError
    # (`python -m bot.cli` would otherwise load this file twice, as __main__ and as bot.cli).
    from bot import cli as _cli

    sys.exit(_cli.main())
