"""What every method of the page API returns, on the live object and on the disabled stand-in,
checked against the core's methods table (bridge/methods.py), from which the build writes the loader's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

from analytics_identity.bridge.methods import CHAIN, CHAIN_ASYNC, ENTITY, EVENT, LOAD, METHODS, PROMISE, READY, VALUE
from tests.e2e.helpers import boot, load_options

#: Calls every method once (``group`` with an id: with none it gives the accessor) and
#: tells what came back: the instance, a promise (of the instance, of an event's
#: context, of anything else), an entity accessor, or a plain value.
SHAPES = """async (calls) => {
    const shapes = {};
    for (const [name, args] of calls) {
        const result = analytics[name](...args);
        if (result === analytics) shapes[name] = "the instance";
        else if (result && typeof result.then === "function") {
            const value = await result;
            shapes[name] = value === analytics ? "a promise of the instance"
                : value && typeof value === "object" && "event" in value ? "a promise of a context" : "a promise";
        } else if (result && typeof result.id === "function") shapes[name] = "an entity";
        else shapes[name] = "a value";
    }
    return shapes;
}"""

SHAPE_OF_KIND = {
    EVENT: "a promise of a context", PROMISE: "a promise", READY: "a promise", CHAIN: "the instance",
    LOAD: "the instance", CHAIN_ASYNC: "a promise of the instance", VALUE: "a value", ENTITY: "an entity",
}


def calls() -> list[list[Any]]:
    return [[name, ["g1"] if method.entity and method.kind != ENTITY else []] for name, method in METHODS.items()]


@pytest.mark.parametrize("disabled", [False, True], ids=["live", "disabled"])
def test_every_method_returns_what_the_table_says(page: Page, base_url: str, disabled: bool) -> None:
    boot(page, base_url, options=load_options(base_url, **({"disable": True} if disabled else {})))
    assert page.evaluate("typeof analytics.push === 'function' && !Array.isArray(analytics)")
    shapes = page.evaluate(SHAPES, calls())
    # Disabled, an event call resolves with nothing (analytics-next's NullAnalytics sends nothing either).
    expected = {name: "a promise" if disabled and method.kind == EVENT else SHAPE_OF_KIND[method.kind]
                for name, method in METHODS.items()}
    assert shapes == expected
    # With no argument, group() gives its accessor, as user() does.
    assert page.evaluate(SHAPES, [["group", []], ["user", []]]) == {"group": "an entity", "user": "an entity"}


def test_the_disabled_stand_in_answers_the_calls_it_used_to_get_wrong(page: Page, base_url: str) -> None:
    boot(page, base_url, options={**load_options(base_url), "disable": True})
    answers = page.evaluate(f"""async () => [
        await analytics.pageview('/x') === analytics, typeof (await analytics.flush()),
        analytics.trackLink(document.body, 'Clicked') === analytics, analytics.trackForm([], 'Sent') === analytics,
        typeof analytics.register().then, typeof analytics.deregister().then,
        analytics.addIntegrationMiddleware(() => {{}}) === undefined, {json.dumps(sorted(METHODS))}
            .filter((name) => typeof analytics[name] !== 'function')]""")
    assert answers == [True, "undefined", True, True, "function", "function", True, []]
