"""Debounced actions: run once the user pauses (typing a query, holding an arrow key)."""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakSet

from textual.app import App
from textual.timer import Timer
from textual.widget import Widget

_LIVE: WeakSet[Debouncer] = WeakSet()


class Debouncer:
    """Calls the latest scheduled callback `delay` seconds after the last `schedule`."""

    def __init__(self, owner: Widget, delay: float) -> None:
        self.owner = owner
        self.delay = delay
        self._timer: Timer | None = None
        self._callback: Callable[[], object] | None = None
        _LIVE.add(self)

    @property
    def pending(self) -> bool:
        return self._callback is not None

    def schedule(self, callback: Callable[[], object]) -> None:
        self.cancel()
        self._callback = callback
        self._timer = self.owner.set_timer(self.delay, self._fire)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = None
        self._callback = None

    def _fire(self) -> None:
        callback, self._callback, self._timer = self._callback, None, None
        if callback is not None:
            callback()


def has_pending(app: App) -> bool:
    """Whether any debounced action of `app` is still waiting to run."""
    for debouncer in list(_LIVE):
        if debouncer.pending and debouncer.owner.is_attached and debouncer.owner.app is app:
            return True
    return False
