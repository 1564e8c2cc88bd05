"""A WebKitGTK browser for WebKitWebDriver, keeping its data on disk as Safari does.

WebKitWebDriver starts the browser named in the session's capabilities and
drives it through WebKit's automation. Debian's MiniBrowser, in automation
mode, keeps everything in memory, and WebKit's in-memory Cache Storage drops
a cache's entries once no page holds it open: the saved start-up state
(loader.mjs) is gone at the next navigation, so a reload would never
exercise the warm boot. This window uses a data directory on disk instead,
with Intelligent Tracking Prevention on (Safari's default, which caps the
cookies a script writes). Run by Debian's python3 (PyGObject), not the
project's virtualenv: ``python3 webkit_shell.py DATA_DIR``.
"""

import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402

data = sys.argv[1]
manager = WebKit2.WebsiteDataManager(base_data_directory=data, base_cache_directory=data)
manager.set_itp_enabled(True)
context = WebKit2.WebContext(website_data_manager=manager)
context.set_automation_allowed(True)


def new_view(session: WebKit2.AutomationSession) -> WebKit2.WebView:
    view = WebKit2.WebView(web_context=context, is_controlled_by_automation=True)
    window = Gtk.Window()
    window.set_default_size(1024, 768)
    window.add(view)
    window.show_all()
    return view


def started(context: WebKit2.WebContext, session: WebKit2.AutomationSession) -> None:
    info = WebKit2.ApplicationInfo()
    info.set_name("analytics-identity-webkit")
    session.set_application_info(info)
    session.connect("create-web-view", new_view)


context.connect("automation-started", started)
Gtk.main()
