"""Settings from the environment or a .env file (pydantic-settings)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # SecretStr: the token never shows in a repr, a log line or a traceback's locals.
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL")
    telegram_api_file_url: str | None = Field(default=None, alias="TELEGRAM_API_FILE_URL")
    bot_username: str | None = Field(default=None, alias="BRANCHBOT_BOT_USERNAME")
    database: Path = Field(default=Path("data/branchbot.db"), alias="BRANCHBOT_DATABASE")
    audit_key: str | None = Field(default=None, alias="BRANCHBOT_AUDIT_KEY")
    audit_key_file: Path = Field(default=Path("data/audit.key"), alias="BRANCHBOT_AUDIT_KEY_FILE")
    timezone: str = Field(default="Asia/Shanghai", alias="BRANCHBOT_TIMEZONE")
    default_language: str = Field(default="zh_CN", alias="BRANCHBOT_LANGUAGE")
    webhook_secret: str | None = Field(default=None, alias="BRANCHBOT_WEBHOOK_SECRET")
    # Updates handled at once (see bot.app.build_application for why 8).
    concurrent_updates: int = Field(default=8, ge=1, le=256, alias="BRANCHBOT_CONCURRENT_UPDATES")
    # Seconds an update runs before the next may start beside it (bot.update_gate; 0: always side by side).
    update_patience: float = Field(default=0.05, ge=0, le=10, alias="BRANCHBOT_UPDATE_PATIENCE")

    def audit_key_bytes(self, create: bool = False) -> bytes:
        """The audit HMAC key: the setting, else the key file (created 0600 on `init`)."""
        if self.audit_key:
            return self.audit_key.encode()
        path = self.audit_key_file
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"audit key file {path} is missing (run `branchbot init`)")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
