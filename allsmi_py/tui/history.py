"""Short histories for sparklines, kept on the UI side and keyed by device uuid (or a name)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

DEFAULT_LENGTH = 120


class History:
    """Ring buffers of recent values, one per key; None readings are kept as gaps."""

    def __init__(self, length: int = DEFAULT_LENGTH) -> None:
        self.length = length
        self._series: dict[str, deque[float | None]] = {}

    def push(self, key: str, value: float | None) -> None:
        """Append one reading to the series `key`."""
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = deque(maxlen=self.length)
        series.append(value)

    def values(self, key: str, last: int | None = None) -> list[float | None]:
        """The series `key`, oldest first (the `last` n when given)."""
        series = self._series.get(key)
        if series is None:
            return []
        items = list(series)
        return items if last is None else items[-last:]

    def keep_only(self, keys: Iterable[str]) -> None:
        """Forget every series whose key is not in `keys` (devices that went away)."""
        wanted = set(keys)
        for key in [k for k in self._series if k not in wanted]:
            del self._series[key]

    def __contains__(self, key: object) -> bool:
        return key in self._series

    def __len__(self) -> int:
        return len(self._series)
