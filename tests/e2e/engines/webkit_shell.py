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

Classic WebDriver has no way to clear a browser's data, add a script to
every document before the page's own, or report console messages; this
window does the first two when the tab opens an ``engine:`` address
(``engine:clear``: every website data type removed and the added scripts
dropped, ``engine:script?SOURCE``: SOURCE runs first in every later
document), and always runs CONSOLE first, which keeps the console messages,
uncaught errors and the addresses the document loaded (its resource timing
entries, once each is loaded) for the driver to collect (webkit.py).
"""

import http.client
import http.server
import sys
import threading
import urllib.parse

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gio, GLib, Gtk, WebKit2  # noqa: E402

#: Keeps what the page logs, its uncaught errors and what it loaded in ``window.__engine`` until the driver drains them.
CONSOLE = """(() => {
  if (window.__engine || location.protocol === "engine:") return;
  const queue = [];
  Object.defineProperty(window, "__engine", { value: { drain: () => queue.splice(0) } });
  const text = (args) => args.map((arg) => {
    if (typeof arg === "string") return arg;
    if (arg instanceof Error) return `${arg.name}: ${arg.message}${arg.stack ? "\\n" + arg.stack : ""}`;
    try { return JSON.stringify(arg) ?? String(arg); } catch { return String(arg); }
  }).join(" ");
  for (const [method, type] of [["log", "log"], ["info", "info"], ["debug", "debug"], ["warn", "warning"],
                                ["error", "error"]]) {
    const original = console[method];
    console[method] = function (...args) {
      queue.push({ kind: "console", type, text: text(args) });
      return original.apply(this, args);
    };
  }
  queue.push({ kind: "request", url: location.href });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) queue.push({ kind: "request", url: entry.name });
  }).observe({ type: "resource", buffered: true });
  addEventListener("error", (event) => queue.push({ kind: "pageerror", text: String(event.message) }));
  addEventListener("unhandledrejection", (event) => queue.push({ kind: "pageerror", text: String(event.reason) }));
})();"""



class Forward(http.server.BaseHTTPRequestHandler):
    """WebKitGTK's stand-in for Chromium's ``--host-resolver-rules`` (playwright.config.py): the window's
    proxy, which sends a request for any ``*.test`` name to the same port on 127.0.0.1."""

    protocol_version = "HTTP/1.1"
    HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "date", "server"}

    def forward(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if not (url.hostname or "").endswith(".test"):
            self.send_error(502, "only *.test names are forwarded")
            return
        length = int(self.headers.get("Content-Length") or 0)
        upstream = http.client.HTTPConnection("127.0.0.1", url.port or 80, timeout=60)
        upstream.request(self.command, (url.path or "/") + (f"?{url.query}" if url.query else ""),
                         self.rfile.read(length) if length else None,
                         {k: v for k, v in self.headers.items() if k.lower() not in self.HOP})
        response = upstream.getresponse()
        body = response.read()
        upstream.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in self.HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_OPTIONS = do_PUT = do_DELETE = forward

    def log_message(self, format: str, *args: object) -> None:
        pass


proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
threading.Thread(target=proxy.serve_forever, daemon=True).start()

data = sys.argv[1]
manager = WebKit2.WebsiteDataManager(base_data_directory=data, base_cache_directory=data)
manager.set_itp_enabled(True)
manager.set_network_proxy_settings(WebKit2.NetworkProxyMode.CUSTOM, WebKit2.NetworkProxySettings.new(
    f"http://127.0.0.1:{proxy.server_address[1]}", ["127.0.0.1", "localhost"]))
context = WebKit2.WebContext(website_data_manager=manager)
context.set_automation_allowed(True)
scripts = WebKit2.UserContentManager()


def add_script(source: str) -> None:
    scripts.add_script(WebKit2.UserScript.new(source, WebKit2.UserContentInjectedFrames.ALL_FRAMES,
                                              WebKit2.UserScriptInjectionTime.START, None, None))


add_script(CONSOLE)


def answer(request: WebKit2.URISchemeRequest, text: str) -> None:
    body = GLib.Bytes.new(f"<!doctype html><title>{text}</title>{text}".encode())
    request.finish(Gio.MemoryInputStream.new_from_bytes(body), body.get_size(), "text/html")


def control(request: WebKit2.URISchemeRequest) -> None:
    """``engine:clear`` and ``engine:script?SOURCE``: answered once done."""
    command = request.get_uri().split(":", 1)[1]
    if command == "clear":
        scripts.remove_all_scripts()
        add_script(CONSOLE)
        manager.clear(WebKit2.WebsiteDataTypes.ALL, 0, None,
                      lambda manager, result: (manager.clear_finish(result), answer(request, "cleared")))
    elif command.startswith("script?"):
        add_script(urllib.parse.unquote(command.split("?", 1)[1]))
        answer(request, "added")
    else:
        request.finish_error(GLib.Error(f"unknown command {command}"))


context.register_uri_scheme("engine", control)


def shown(view: WebKit2.WebView) -> WebKit2.WebView:
    window = Gtk.Window()
    window.set_default_size(1024, 768)
    window.add(view)
    window.show_all()
    view.connect("create", opened)
    view.connect("close", lambda view: window.destroy())
    return view


def new_view(session: WebKit2.AutomationSession) -> WebKit2.WebView:
    return shown(WebKit2.WebView(web_context=context, user_content_manager=scripts, is_controlled_by_automation=True))


def opened(view: WebKit2.WebView, action: WebKit2.NavigationAction) -> WebKit2.WebView:
    """A window the page opens (a link's ``target=_blank``): a tab the driver sees."""
    return shown(WebKit2.WebView(related_view=view, user_content_manager=scripts, is_controlled_by_automation=True))


def started(context: WebKit2.WebContext, session: WebKit2.AutomationSession) -> None:
    info = WebKit2.ApplicationInfo()
    info.set_name("analytics-identity-webkit")
    session.set_application_info(info)
    session.connect("create-web-view", new_view)


context.connect("automation-started", started)
Gtk.main()
