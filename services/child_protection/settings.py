from datetime import time

from pydantic import SecretStr, model_validator

from common.crypto import FieldCipher, parse_keys
from common.settings import SERVICES, ServiceSettings, service_config

DEVELOPMENT_KEY = "dev:" + "ZGV2ZWxvcG1lbnQtb25seS1rZXktbm90LWZvci11c2U"
"""Used only outside production (development, test) when no key is configured: anyone can read it here."""


class ChildProtectionSettings(ServiceSettings):
    """Environment variables prefixed ``CHILD_PROTECTION_`` (e.g. ``CHILD_PROTECTION_DATABASE_URL``)."""

    model_config = service_config("CHILD_PROTECTION_")
    port: int = SERVICES["child_protection"]
    encryption_keys: SecretStr | None = None
    """Keys of the narrative fields, ``kid:base64url(32 bytes)`` separated by commas (``ansinh keys field-key``
    prints one). Required outside development. Rotation: add a key, make it active, run the re-encryption,
    then remove the old key."""
    encryption_active_key: str | None = None
    """The key id new values are written with; defaults to the last key listed."""
    deadline_alerts_daily: bool = True
    """Publish the day's overdue and due-soon deadlines once a day inside the process."""
    deadline_alerts_at: time = time(6, 30)
    """Local time (Asia/Ho_Chi_Minh) of the daily deadline alerts."""
    due_soon_hours: int = 48
    """A deadline is *due soon* when it falls within this many hours."""
    attachment_max_bytes: int = 5 * 1024 * 1024
    attachment_types: tuple[str, ...] = ("image/jpeg", "image/png", "application/pdf")

    @model_validator(mode="after")
    def _keys(self) -> "ChildProtectionSettings":
        if self.encryption_keys is None and self.environment == "production":
            raise ValueError("CHILD_PROTECTION_ENCRYPTION_KEYS is required in production")
        self.cipher()  # refuse a malformed key list at start-up, not at the first write
        return self

    def cipher(self) -> FieldCipher:
        text = self.encryption_keys.get_secret_value() if self.encryption_keys else DEVELOPMENT_KEY
        keys = parse_keys(text)
        if not keys:
            raise ValueError("CHILD_PROTECTION_ENCRYPTION_KEYS lists no key")
        return FieldCipher(keys, self.encryption_active_key or list(keys)[-1])
