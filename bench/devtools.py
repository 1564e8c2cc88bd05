"""The renderer's own counters through the DevTools protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Page


@contextmanager
def reader(page: Page) -> Iterator[Callable[[], dict[str, float]]]:
    """A function reading DevTools ``Performance.getMetrics`` by name (times in seconds).

    Counters such as ``TaskDuration`` count from ``Performance.enable``, so
    figures to subtract must come from one reader; ``ProcessTime`` is the
    process's own and reads the same from any.
    """
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Performance.enable")
        yield lambda: {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    finally:
        cdp.detach()


def metrics(page: Page) -> dict[str, float]:
    """One reading of the page's DevTools metrics."""
    with reader(page) as read:
        return read()
