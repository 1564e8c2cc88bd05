"""Foreign copies of our cookies: what the cookie store writes to get rid of them.

A browser shows a page every cookie whose path and domain match, longest
path first, without saying which is which; the end-to-end test covers two
paths on 127.0.0.1. This covers the domain case, which needs a host name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from analytics_identity.storage.codec import CookieAttributes
from analytics_identity.storage import CookieHeader, CookieStore

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()


@dataclass
class TwoCopiesJar:
    """A page on www.example.com/shop/cart showing two ``ajs_anonymous_id`` cookies."""

    hostname: str = "www.example.com"
    pathname: str = "/shop/cart"
    header: str = "ajs_anonymous_id=host-only-copy; ajs_anonymous_id=ours"
    written: list[str] = field(default_factory=list)

    def read(self) -> str:
        return self.header

    def write(self, cookie: str) -> None:
        self.written.append(cookie)

    def after_task(self, fn: Callable[[], None]) -> None:
        fn()


def test_copies_on_other_paths_and_the_host_only_copy_are_expired_once_with_one_warning() -> None:
    jar, warnings = TwoCopiesJar(), []
    store = CookieStore(CookieHeader(jar), CookieAttributes(domain="example.com"), lambda: NOW, warnings.append)
    store.set("ajs_anonymous_id", "new-id")
    expired = [c for c in jar.written if c.startswith("ajs_anonymous_id=;")]
    places = {(part("path", c), part("domain", c)) for c in expired}
    assert places == {("/shop", None), ("/shop", "example.com"), ("/shop/cart", None), ("/shop/cart", "example.com"),
                      ("/", None)}
    assert jar.written[-1].startswith("ajs_anonymous_id=new-id;") and part("domain", jar.written[-1]) == "example.com"
    assert len(warnings) == 1 and "more than one ajs_anonymous_id" in warnings[0]
    store.set("ajs_anonymous_id", "newer-id")
    assert len(warnings) == 1


def part(name: str, cookie: str) -> str | None:
    return next((p.split("=", 1)[1] for p in cookie.split("; ") if p.startswith(name + "=")), None)
