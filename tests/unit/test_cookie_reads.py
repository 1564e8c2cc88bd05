"""``document.cookie`` is read once per call and per task of the page, and not again after our own writes
of a cookie the browser took (storage/cookie_header.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from analytics_identity.api.client import Analytics
from analytics_identity.host import MemoryHost
from analytics_identity.storage import CookieHeader
from tests.unit.identity_hosts import CountingJar, CountingStorage


@dataclass
class OneTaskJar(CountingJar):
    """A page whose code runs in one task until the test ends it (``jar.current += 1``)."""

    ending: list[Callable[[], None]] = field(default_factory=list)

    def after_task(self, fn: Callable[[], None]) -> None:
        self.ending.append(fn)

    @property
    def current(self) -> int:
        return 0

    @current.setter
    def current(self, _: int) -> None:
        ending, self.ending = self.ending, []
        for fn in ending:
            fn()


def test_a_loop_of_calls_in_one_task_reads_once_and_the_next_task_reads_again() -> None:
    jar = OneTaskJar(hostname="shop.example.com")
    analytics = Analytics(MemoryHost(cookies=jar), "key")
    jar.current += 1
    reads = jar.reads
    ids = {analytics.user().anonymousId() for _ in range(20)}
    assert jar.reads == reads + 1 and len(ids) == 1
    jar.jar["ajs_anonymous_id"] = "from-another-tab"
    assert analytics.user().anonymousId() != "from-another-tab"  # same task: the copy
    jar.current += 1
    assert analytics.user().anonymousId() == "from-another-tab"


def test_set_anonymous_id_in_a_loop_writes_each_id_and_reads_once() -> None:
    jar = OneTaskJar(hostname="shop.example.com")
    analytics = Analytics(MemoryHost(cookies=jar), "key")
    jar.current += 1
    reads = jar.reads
    for i in range(20):
        assert analytics.setAnonymousId(f"anon-{i}") == f"anon-{i}"
        assert analytics.user().anonymousId() == f"anon-{i}"
    assert jar.reads - reads == 1  # the task's one read: the browser took the minted id already
    # The first write of the task goes out at once; the later ones to the same cookie wait for its end.
    assert jar.get("ajs_anonymous_id") == "anon-0"
    jar.current += 1
    assert jar.get("ajs_anonymous_id") == "anon-19"
    assert [c.split(";")[0] for c in jar.ours() if c.startswith("ajs_anonymous_id=anon-")] == [
        "ajs_anonymous_id=anon-0", "ajs_anonymous_id=anon-19"]


def test_a_write_the_browser_refused_is_never_assumed_taken() -> None:
    @dataclass
    class Refusing(OneTaskJar):
        def write(self, cookie: str) -> None:
            self.written.append(cookie)

    jar = Refusing(jar={"ajs_anonymous_id": "old"})
    snapshot = CookieHeader(jar)
    for value in ("a", "b", "c"):
        snapshot.write(f"ajs_anonymous_id={value}; path=/")
        assert "ajs_anonymous_id=old" in snapshot.header()


def test_page_code_reads_what_we_wrote_and_drops_the_copy() -> None:
    jar = OneTaskJar(jar={"ajs_anonymous_id": "a"})
    snapshot = CookieHeader(jar)
    snapshot.header()
    snapshot.write("ajs_anonymous_id=b; path=/")
    depth = snapshot.suspend()
    jar.jar["ajs_anonymous_id"] = "set-by-a-listener"
    snapshot.resume(depth)
    assert "ajs_anonymous_id=set-by-a-listener" in snapshot.header()


def test_an_anonymous_visitors_user_id_is_read_from_every_store_once_then_from_the_cookie() -> None:
    """Most visitors have no userId: each event read localStorage for it before."""
    jar, storage = OneTaskJar(hostname="shop.example.com"), CountingStorage()
    analytics = Analytics(MemoryHost(cookies=jar, local_storage=storage), "key")
    analytics.user().id()
    reads = storage.reads
    for _ in range(5):
        jar.current += 1
        assert analytics.user().id() is None
    assert storage.reads == reads
    jar.current += 1
    jar.jar["ajs_user_id"] = "from-another-tab"  # another tab identified: it wrote the cookie too
    assert analytics.user().id() == "from-another-tab"
