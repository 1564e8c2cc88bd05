"""Load options are read once, into frozen typed settings."""

from __future__ import annotations

import dataclasses

import pytest

from analytics_identity.options.settings import Settings
from analytics_identity.delivery import Endpoint, Strategy


def test_settings_are_frozen_and_typed() -> None:
    settings = Settings.from_options("KEY", {
        "integrations": {"Segment.io": {"apiHost": "collector.test/v1", "protocol": "http"}},
        "deliveryStrategy": {"strategy": "batching", "config": {"size": 5}},
    }, print)
    assert settings.endpoint == Endpoint("http", "collector.test/v1", "KEY")
    assert settings.delivery == Strategy(batching=True, size=5)
    assert not any(isinstance(getattr(settings, f.name), dict) for f in dataclasses.fields(settings))
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.persist = False  # type: ignore[misc]


@pytest.mark.parametrize(("options", "user", "group"), [
    ({}, ("cookie", "localStorage", "memory"), ("cookie", "localStorage", "memory")),
    ({"storage": {"stores": ["localStorage", "cookie"]}},
     ("localStorage", "cookie", "memory"), ("localStorage", "cookie", "memory")),
    ({"user": {"storage": {"stores": ["memory"]}}}, ("memory",), ("cookie", "localStorage", "memory")),
    ({"user": {"localStorageFallbackDisabled": True}}, ("cookie", "memory"), ("cookie", "localStorage", "memory")),
    ({"group": {"persist": False}}, ("cookie", "localStorage", "memory"), ("memory",)),
    ({"disableClientPersistence": True, "user": {"storage": {"stores": ["cookie"]}}}, ("memory",), ("memory",)),
])
def test_each_entity_gets_its_resolved_store_order(options: dict[str, object], user: tuple[str, ...],
                                                   group: tuple[str, ...]) -> None:
    settings = Settings.from_options("", options, print)
    assert (settings.user.stores, settings.group.stores) == (user, group)
