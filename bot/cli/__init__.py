"""The `branchbot` command. Each group of subcommands lives in its own module with a register()."""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that add subcommands: each defines register(subparsers) and sets `func` on its parsers.
COMMAND_MODULES = (
    "bot.cli.admin",     # init, org, template, import, member, invite, grant, audit, backup
    "bot.cli.run",       # run, demo
    "bot.cli.scan",      # scan
    "bot.cli.summary",   # summary (附件6, 附件7, 统计表 A–X)
    "bot.cli.stats",     # stats
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
        return int(result or 0)
    except CliError as exc:
        print(f"branchbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Run through the imported module, so CliError raised by subcommands is this module's CliError
    # (`python -m bot.cli` would otherwise load this file twice, as __main__ and as bot.cli).
    from bot import cli as _cli

    sys.exit(_cli.main())
