"""Source middleware: change, drop or delay an event before delivery."""

from __future__ import annotations

from typing import Any

from analytics_identity.api.client import Analytics
from analytics_identity.delivery import MemoryTransport
from analytics_identity.host import MemoryHost


def setup() -> tuple[Analytics, MemoryTransport]:
    analytics = Analytics(MemoryHost(), "K")
    transport = analytics.delivery.network.transport
    assert isinstance(transport, MemoryTransport)
    return analytics, transport


def blank_ip(args: dict[str, Any]) -> None:
    args["payload"]["obj"]["context"]["ip"] = "0.0.0.0"
    args["next"](args["payload"])


def test_middleware_changes_every_event() -> None:
    analytics, transport = setup()
    analytics.addSourceMiddleware(blank_ip)
    analytics.track("A")
    analytics.identify("u1")
    analytics.page()
    assert [e["context"]["ip"] for e in transport.sent] == ["0.0.0.0"] * 3


def test_not_calling_next_drops_the_event() -> None:
    analytics, transport = setup()
    analytics.add_source_middleware(lambda args: None if args["payload"]["obj"]["event"] == "secret" else args["next"](args["payload"]))
    analytics.track("secret")
    analytics.track("public")
    assert [e["event"] for e in transport.sent] == ["public"]


def test_middleware_runs_in_order_and_may_replace_the_payload() -> None:
    analytics, transport = setup()
    order: list[str] = []

    def first(args: dict[str, Any]) -> None:
        order.append("first")
        args["next"]({"obj": {**args["payload"]["obj"], "properties": {"replaced": True}}})

    def second(args: dict[str, Any]) -> None:
        order.append("second")
        args["next"](args["payload"])

    analytics.addSourceMiddleware(first).addSourceMiddleware(second)
    analytics.track("E", {"original": True})
    assert order == ["first", "second"] and transport.sent[0]["properties"] == {"replaced": True}


def test_a_later_next_delivers_later_and_the_callback_waits() -> None:
    analytics, transport = setup()
    held: list[Any] = []
    calls: list[dict[str, Any]] = []
    analytics.addSourceMiddleware(lambda args: held.append(args))
    analytics.track("E", {}, {}, calls.append)
    assert transport.sent == [] and calls == []
    held[0]["next"](held[0]["payload"])
    assert [e["event"] for e in transport.sent] == ["E"] and len(calls) == 1


def test_a_middleware_that_raises_is_skipped_and_the_event_kept() -> None:
    analytics, transport = setup()
    analytics.addSourceMiddleware(lambda args: 1 / 0)
    analytics.track("E")
    assert [e["event"] for e in transport.sent] == ["E"]
    assert any("ZeroDivisionError" in w for w in analytics.host.warnings)  # type: ignore[attr-defined]


def test_bad_middleware_and_bad_next_arguments_warn() -> None:
    analytics, transport = setup()
    analytics.addSourceMiddleware("not a function")
    analytics.addSourceMiddleware(lambda args: (args["next"](42), args["next"](args["payload"])))
    analytics.track("E")
    assert transport.sent == []
    warnings = analytics.host.warnings  # type: ignore[attr-defined]
    assert any("needs a function" in w for w in warnings)
    assert any("passed 42" in w for w in warnings) and any("twice" in w for w in warnings)


def test_listeners_and_once() -> None:
    analytics, _ = setup()
    seen: list[tuple[str, Any]] = []
    analytics.on("track", lambda name, props, opts: seen.append(("on", name)))
    analytics.once("track", lambda name, props, opts: seen.append(("once", name)))
    analytics.on("reset", lambda: seen.append(("reset", None)))
    analytics.on("ready", lambda: seen.append(("ready", None)))
    analytics.became_ready()
    analytics.track("A")
    analytics.track("B")
    analytics.reset()
    assert seen == [("ready", None), ("on", "A"), ("once", "A"), ("on", "B"), ("reset", None)]
