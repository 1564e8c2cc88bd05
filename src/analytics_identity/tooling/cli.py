"""``analytics-identity``: build the static folder, or serve demo and collector."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import build_static, project_root

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="analytics-identity", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write the self-contained static folder")
    build.add_argument("dir", type=Path)
    build.add_argument("--no-compress", action="store_true", help="skip the .gz/.br twins")
    serve = commands.add_parser("serve", help="serve the demo site, the static build and the collector")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", type=Path, default=Path("var/events.sqlite3"), help="SQLite file of collected events")
    serve.add_argument("--static", type=Path, default=Path("build/static/analytics"), help="folder made by `build`")
    serve.add_argument("--demo", type=Path, default=project_root() / "web" / "demo", help="demo pages")
    serve.add_argument("--mount", action="append", default=[], metavar="PREFIX=DIR",
                       help="also serve DIR at /PREFIX/ (repeatable)")
    serve.add_argument("--read-token", metavar="TOKEN",
                       help="GET /api/events answers only requests with 'Authorization: Bearer TOKEN', from anywhere "
                            "(default: $ANALYTICS_IDENTITY_READ_TOKEN; without one, only this machine may read)")
    serve.add_argument("--write-key", action="append", default=[], metavar="KEY",
                       help="accept events of this write key only (repeatable; default: any key)")
    serve.add_argument("--forward", metavar="URL",
                       help="relay every accepted event once to this Segment-compatible batch endpoint, "
                            "e.g. https://api.segment.io/v1/batch")
    serve.add_argument("--forward-timeout", type=float, default=15.0, metavar="SECONDS",
                       help="give up on an upstream request after this long, and retry it (default 15)")
    args = parser.parse_args(argv)
    if args.command == "build":
        out = build_static(args.dir, compress=not args.no_compress)
        print(f"built {out}")
        return 0
    if not (args.static / "snippet.js").exists():
        print(f"{args.static} has no build: run `analytics-identity build {args.static}` first", file=sys.stderr)
        return 2
    import uvicorn

    from ..server.app import create_app

    mounts = {}
    for spec in args.mount:
        prefix, sep, folder = spec.partition("=")
        if not sep or not Path(folder).is_dir():
            print(f"--mount wants PREFIX=DIR with an existing DIR, not {spec!r}", file=sys.stderr)
            return 2
        mounts[prefix] = Path(folder)
    if args.forward and not args.forward.startswith(("http://", "https://")):
        print(f"--forward wants an http:// or https:// URL, not {args.forward!r}", file=sys.stderr)
        return 2
    app = create_app(args.static, args.demo, args.db, mounts, read_token=args.read_token,
                     write_keys=args.write_key, forward=args.forward, forward_timeout=args.forward_timeout)
    print(f"demo and collector on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
