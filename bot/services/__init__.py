"""Use cases: one function per thing a user does. Telegram, the CLI and the scheduler all call these."""
