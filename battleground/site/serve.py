"""Preview a built site over HTTP on 127.0.0.1 only, optionally under a sub-path."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_the_prefix__")  # a 404
        return super().translate_path("/" + path[len(self.prefix):])

    def list_directory(self, path):
        """A folder without an index.html is not found: the preview serves the site's files, as a
        static host does, and lists no folder."""
        self.send_error(404, "File not found")
        return None

    def log_message(self, format: str, *args) -> None:  # quiet unless asked
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


def make_server(directory: Path | str, port: int = 0, prefix: str = "/", verbose: bool = False):
    """An HTTP server of ``directory`` on 127.0.0.1 (``port`` 0: a free one), serving it at ``prefix``."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    handler = type("Handler", (_Handler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(directory)))
    server.verbose, server.prefix = verbose, prefix
    return server


def start_in_thread(directory: Path | str, prefix: str = "/") -> tuple[http.server.ThreadingHTTPServer, str]:
    """A server running in a daemon thread, and the URL of the site's root."""
    server = make_server(directory, prefix=prefix)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}{server.prefix}"


def serve(directory: Path | str, port: int = 8000) -> None:
    """Serve until Ctrl-C."""
    server = make_server(directory, port=port, verbose=True)
    host, port = server.server_address[:2]
    print(f"serving {directory} at http://{host}:{port}/ (127.0.0.1 only; Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
