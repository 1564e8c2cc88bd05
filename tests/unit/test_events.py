"""Events built by the client: Segment spec fields, identity and per-call options."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest

from analytics_identity import __version__
from analytics_identity.api.client import Analytics
from analytics_identity.delivery import MemoryTransport, Network
from analytics_identity.events.build import campaign_from_search
from analytics_identity.instants import iso_timestamp
from analytics_identity.host import MemoryHost, PageInfo, page_address

PAGE = PageInfo(
    url="https://shop.example.com/pricing?utm_source=news&utm_campaign=spring&utm_medium=email&x=1",
    path="/pricing", search="?utm_source=news&utm_campaign=spring&utm_medium=email&x=1",
    title="Pricing", referrer="https://search.example/", user_agent="UA/1.0", locale="en-GB",
    timezone="Europe/London",
)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def analytics() -> Analytics:
    host = MemoryHost(page_info=PAGE, clock=datetime(2026, 11, 28, 12, 0, 1, 234567, timezone.utc).timestamp)
    return Analytics(host, "KEY", {"apiHost": "collector.test/v1"})


def sent(analytics: Analytics) -> list[dict[str, Any]]:
    transport = analytics.delivery.network.transport
    assert isinstance(transport, MemoryTransport)
    return transport.sent


def test_common_fields(analytics: Analytics) -> None:
    analytics.track("Signed Up", {"plan": "pro"})
    (event,) = sent(analytics)
    assert event["type"] == "track" and event["event"] == "Signed Up" and event["properties"] == {"plan": "pro"}
    assert event["timestamp"] == "2026-11-28T12:00:01.234Z" and ISO.match(event["sentAt"])
    assert event["anonymousId"] == analytics.user().anonymous_id() and event["userId"] is None
    assert event["writeKey"] == "KEY" and event["integrations"] == {}
    context = event["context"]
    assert context["page"] == {"path": "/pricing", "referrer": "https://search.example/", "search": PAGE.search,
                               "title": "Pricing", "url": PAGE.url}
    assert context["userAgent"] == "UA/1.0" and context["locale"] == "en-GB" and context["timezone"] == "Europe/London"
    assert context["campaign"] == {"source": "news", "name": "spring", "medium": "email"}
    assert context["library"] == {"name": "analytics-identity", "version": __version__}


def test_message_ids_are_unique(analytics: Analytics) -> None:
    for _ in range(200):
        analytics.track("E")
    assert len({e["messageId"] for e in sent(analytics)}) == 200


def test_every_type_and_its_fields(analytics: Analytics) -> None:
    analytics.identify("user_123", {"name": "Jane Kim"})
    analytics.page("Docs", "Pricing", {"plan": "x"})
    analytics.screen("Home")
    analytics.group("g1", {"plan": "team"})
    analytics.alias("user_456")
    identify, page, screen, group, alias = sent(analytics)
    assert identify["type"] == "identify" and identify["userId"] == "user_123" and identify["traits"] == {"name": "Jane Kim"}
    assert page["type"] == "page" and page["name"] == "Pricing" and page["category"] == "Docs"
    assert page["properties"]["plan"] == "x" and page["properties"]["path"] == "/pricing"
    assert screen["type"] == "screen" and screen["name"] == "Home"
    assert group["type"] == "group" and group["groupId"] == "g1" and group["traits"] == {"plan": "team"}
    assert alias["type"] == "alias" and alias["userId"] == "user_456" and alias["previousId"] == "user_123"


def test_options_anonymous_id_is_used_and_persists(analytics: Analytics) -> None:
    analytics.identify("user_123", {"name": "Jane Kim"}, {"anonymousId": "ABC-123-XYZ"})
    analytics.page({}, {"anonymousId": "ABC-123-XYZ"})
    analytics.track("Email Clicked", {"callToAction": "Signup"}, {"anonymousId": "ABC-123-XYZ"})
    analytics.track("Later")
    assert [e["anonymousId"] for e in sent(analytics)] == ["ABC-123-XYZ"] * 4


def test_context_traits_and_ip_belong_to_one_event(analytics: Analytics) -> None:
    analytics.track("Clicked Email", {"emailCampaign": "First Touch"}, {"traits": {"plan_id": "Paid, Tier 2"}})
    analytics.track("Order Completed", {}, {"context": {"ip": "0.0.0.0"}})
    analytics.track("Next")
    first, second, third = sent(analytics)
    assert first["context"]["traits"] == {"plan_id": "Paid, Tier 2"} and "ip" not in first["context"]
    assert second["context"]["ip"] == "0.0.0.0" and "traits" not in second["context"]
    assert "traits" not in third["context"] and "ip" not in third["context"]
    assert analytics.user().traits() == {}


def test_top_level_options(analytics: Analytics) -> None:
    analytics.track("E", {}, {"messageId": "mine-1", "timestamp": "2020-01-01T00:00:00.000Z",
                              "integrations": {"All": False}, "userId": "u9"})
    (event,) = sent(analytics)
    assert event["messageId"] == "mine-1" and event["timestamp"] == "2020-01-01T00:00:00.000Z"
    assert event["integrations"] == {"All": False} and event["userId"] == "u9"


def test_callback_gets_the_context(analytics: Analytics) -> None:
    seen: list[dict[str, Any]] = []
    context = analytics.track("E", {}, {}, seen.append)
    assert seen == [context] and context["event"]["event"] == "E"


def test_write_key_and_sent_at_are_added_only_when_sent(analytics: Analytics) -> None:
    context = analytics.track("E")
    assert "writeKey" not in context["event"] and "sentAt" not in context["event"]


def test_reset_gives_the_next_event_a_fresh_anonymous_id(analytics: Analytics) -> None:
    analytics.identify("u1")
    before = analytics.user().anonymous_id()
    analytics.reset()
    analytics.track("After")
    event = sent(analytics)[-1]
    assert event["userId"] is None and event["anonymousId"] not in (None, before)


def test_campaign_and_timestamp_helpers() -> None:
    assert campaign_from_search("?utm_term=a%20b&utm_=x&utm_content=c") == {"term": "a b", "content": "c"}
    assert campaign_from_search("") == {}
    # Names are matched after decoding, so an encoded utm_ name still counts.
    assert campaign_from_search("?a=1&%75tm_source=x&utm%5Fmedium=y&UTM_term=z&u+tm_x=1") == {"source": "x", "medium": "y"}
    assert iso_timestamp(datetime(2026, 1, 2, 3, 4, 5, 6000, timezone.utc)) == "2026-01-02T03:04:05.006Z"


def test_by_default_events_go_to_segment() -> None:
    """The README's production snippet passes only a write key: events go to Segment over HTTPS."""
    transport = MemoryTransport()
    analytics = Analytics(MemoryHost(), "YOUR_WRITE_KEY", {}, Network(transport))
    analytics.page()
    assert transport.requests[0].url == "https://api.segment.io/v1/p"


def test_delivery_goes_to_the_configured_api_host() -> None:
    transport = MemoryTransport()
    analytics = Analytics(MemoryHost(), "K", {"integrations": {"Segment.io": {"apiHost": "c.test/v1", "protocol": "http"}}},
                          Network(transport))
    analytics.page()
    assert transport.requests[0].url == "http://c.test/v1/p"


@pytest.mark.parametrize(("canonical", "url", "path"), [
    (None, "http://a.test/x?q=1", "/x"),  # no link: the address without its fragment
    ("", "http://a.test/x?q=1", "/x"),  # a link without href counts as none
    ("https://site.test/canon", "https://site.test/canon?q=1", "/canon"),  # the page's query is added
    ("https://site.test/canon?z=2#f", "https://site.test/canon?z=2#f", "/canon"),  # unless it has its own
    ("https://site.test", "https://site.test?q=1", "/"),
    ("canon/page", "canon/page?q=1", "/canon/page"),  # relative: kept whole, rooted
    ("/canon?k", "/canon?k", "/canon?k"),
])
def test_page_address_follows_the_canonical_link_like_analytics_next(canonical: str | None, url: str,
                                                                    path: str) -> None:
    assert page_address("http://a.test/x?q=1#h", canonical, "/x", "?q=1") == (url, path)
