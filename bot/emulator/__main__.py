"""Run the emulator on its own: python -m bot.emulator --port 8081"""

from __future__ import annotations

import argparse
import asyncio

from .emulator import Emulator
from .spec import DEFAULT_SPEC_PATH


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123:ABC")
    parser.add_argument("--username", default="branchbot_test_bot")
    parser.add_argument("--spec", default=str(DEFAULT_SPEC_PATH), help="path to api.json ('' to skip checks)")
    parser.add_argument("--rate-limits", action="store_true", help="model Telegram's flood limits")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    emu = Emulator(args.token, bot_username=args.username, spec_path=args.spec or None,
                   host=args.host, port=args.port)
    if args.rate_limits:
        emu.set_rate_limits(True)
    await emu.start()
    print(f"Telegram Bot API emulator listening on {emu.url}", flush=True)
    print(f"token:         {emu.token}", flush=True)
    print(f"base_url:      {emu.base_url}", flush=True)
    print(f"base_file_url: {emu.base_file_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    try:
        asyncio.run(_serve(_parse_args(argv)))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
