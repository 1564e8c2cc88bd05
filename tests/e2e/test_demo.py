"""The demo at /: every identity call from the user's document, with live panels."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import ROOT, config

#: Outside test-results/, which pytest-playwright empties per session.
SHOTS = ROOT / "var" / "screenshots"


def ready(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "ready", timeout=config.BOOT_TIMEOUT_MS)


def click_and_reload(page: Page, action: str) -> None:
    with page.expect_navigation():
        page.locator(f'button[data-action="{action}"]').click()
    expect(page.locator("#status")).to_have_attribute("data-state", "ready", timeout=config.BOOT_TIMEOUT_MS)


def identity(page: Page, name: str) -> str:
    return page.locator(f'#identity dd[data-value="{name}"]').inner_text()


def test_demo_shows_identity_change_and_stitching(page: Page, base_url: str) -> None:
    ready(page, base_url)
    anonymous = page.evaluate("analytics.user().anonymousId()")
    expect(page.locator("#cookies")).to_contain_text(anonymous)
    expect(page.locator("#storage")).to_contain_text("ajs_anonymous_id")

    page.locator('form[data-call="track"] button').click()
    identify = page.locator('form[data-call="identify"]')
    identify.locator('[name="userId"]').fill("demo_user")
    identify.locator("button").click()
    expect(page.locator('#identity dd[data-value="user().id()"]')).to_have_text('"demo_user"')
    assert "Jane Kim" in identity(page, "user().traits()")
    expect(page.locator("#cookies")).to_contain_text("ajs_user_id")

    track = page.locator('form[data-call="track"]')
    track.locator('[name="traits"]').fill('{"plan_id": "Paid, Tier 2"}')
    track.locator('[name="ip"]').fill("0.0.0.0")
    track.locator("button").click()
    page.locator('form[data-call="group"] button').click()
    expect(page.locator('#identity dd[data-value="group().id()"]')).to_have_text('"acme"')

    # One person holds the anonymous page/track and the identified events: stitched.
    person = page.locator(".person", has=page.locator(".chip.user", has_text="demo_user"))
    expect(person.locator(".chip.anon", has_text=anonymous)).to_be_visible(timeout=15_000)
    expect(person.locator("td.type", has_text="identify")).to_have_count(1)
    expect(person.locator("td.type", has_text="page")).to_have_count(1)
    expect(person.locator("td", has_text="context.ip 0.0.0.0")).to_have_count(1)
    expect(person.locator("td.type", has_text="group")).to_have_count(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "demo.png"), full_page=True)

    page.locator('button[data-action="reset"]').click()
    expect(page.locator('#identity dd[data-value="user().id()"]')).to_have_text("null")
    assert identity(page, "user().anonymousId()") != f'"{anonymous}"'


def test_demo_override_anonymous_id_clear_and_reload(page: Page, base_url: str) -> None:
    ready(page, base_url)
    page.locator('form[data-call="setAnonymousId"] button').click()
    expect(page.locator('#identity dd[data-value="user().anonymousId()"]')).to_have_text('"ABC-123-XYZ"')
    click_and_reload(page, "clear-cookies")
    # The cookie came back from localStorage, as the user's document says.
    expect(page.locator('#identity dd[data-value="user().anonymousId()"]')).to_have_text('"ABC-123-XYZ"')
    expect(page.locator("#cookies")).to_contain_text("ABC-123-XYZ")
    click_and_reload(page, "clear-both")
    fresh = identity(page, "user().anonymousId()")
    assert fresh != '"ABC-123-XYZ"' and len(fresh) == 38


def test_demo_middleware_toggle_blanks_ip(page: Page, base_url: str) -> None:
    ready(page, base_url)
    page.locator("#blank-ip").check()
    page.locator('form[data-call="track"] [name="event"]').fill("Middleware Demo")
    page.locator('form[data-call="track"] button').click()
    anonymous = page.evaluate("analytics.user().anonymousId()")
    person = page.locator(".person", has=page.locator(".chip.anon", has_text=anonymous))
    expect(person.locator("td", has_text="Middleware Demo — context.ip 0.0.0.0")).to_have_count(1, timeout=15_000)
