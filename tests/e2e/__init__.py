"""End-to-end tests: the real Application against the Bot API emulator (see harness.py)."""
