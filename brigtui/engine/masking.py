"""Masking secret values in logs, specs and anything shown on screen."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
# Values this short would mask ordinary words and digits all over a log.
MIN_SECRET_LENGTH = 3


class Masker:
    """Replaces every secret value in text or bytes with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._text = re.compile("|".join(map(re.escape, values))) if values else None
        encoded = [v.encode() for v in values]
        self._bytes = re.compile(b"|".join(map(re.escape, encoded))) if encoded else None

    def __bool__(self) -> bool:
        return self._text is not None

    def text(self, value: str) -> str:
        return self._text.sub(MASK, value) if self._text else value

    def bytes(self, value: bytes) -> bytes:
        return self._bytes.sub(MASK.encode(), value) if self._bytes else value
