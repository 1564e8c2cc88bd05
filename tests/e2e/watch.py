"""What reached the page: uncaught errors, rejections and our warnings.

Installed as an init script, so it also covers frames and reloads, and reads
``console.warn`` at call time (the bridge looks it up on every warning).
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page

WATCH_SCRIPT = """(() => {
  if (window.__watch) return;
  const watch = (window.__watch = { errors: [], warnings: [] });
  addEventListener("error", (e) => watch.errors.push("error: " + e.message));
  addEventListener("unhandledrejection", (e) => watch.errors.push("rejection: " + String(e.reason)));
  const warn = console.warn.bind(console);
  console.warn = (...args) => {
    const text = args.map(String).join(" ");
    if (text.startsWith("analytics-identity:")) watch.warnings.push(text);
    warn(...args);
  };
})();"""

OUR_COOKIES = {"ajs_anonymous_id", "ajs_user_id", "ajs_group_id"}


def watch(context: BrowserContext) -> None:
    """Watch every page of ``context`` from its first script on."""
    context.add_init_script(WATCH_SCRIPT)


def errors(page: Page) -> list[str]:
    return page.evaluate("window.__watch.errors")


def warnings(page: Page) -> list[str]:
    return page.evaluate("window.__watch.warnings")


def clear_warnings(page: Page) -> None:
    page.evaluate("window.__watch.warnings.length = 0")


def assert_only_our_cookies(context: BrowserContext) -> list[dict[str, Any]]:
    """Only our cookies, each with exactly the attributes we always write."""
    cookies = context.cookies()
    for item in cookies:
        assert item["name"] in OUR_COOKIES, item
        assert (item["path"], item["domain"], item["sameSite"], item["secure"], item["httpOnly"]) == (
            "/", "127.0.0.1", "Lax", False, False), item
        assert item["expires"] > 0, item  # persistent, never a session cookie from injected attributes
    return cookies
