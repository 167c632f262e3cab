"""A local webhook receiver for the tests: records every request; the path picks its behaviour.

  /ok/...            200
  /flaky/N/...       500 for the first N requests carrying a given webhook-id, then 200
  /status/CODE/...   always CODE
  /hang/...          never answers (holds the connection for 120 s)
  /switch/NAME/...   500 while NAME is in `receiver.failing`, else 200
  /retry-after/FORM/S/N/...   503 with `Retry-After` S seconds ahead, as delay-seconds (FORM
                     `seconds`) or an IMF-fixdate (FORM `date`), for the first N requests
                     carrying a given webhook-id, then 200
"""
import email.utils
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.seen = {}
        self.failing = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = self.path.strip("/").split("/")
                with receiver.lock:
                    receiver.requests.append({
                        "at": time.time(), "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body.decode(), "json": json.loads(body) if body else None,
                    })
                    key = (self.path, self.headers.get("webhook-id"))
                    receiver.seen[key] = receiver.seen.get(key, 0) + 1
                    count = receiver.seen[key]
                if parts[0] == "hang":
                    time.sleep(120)
                    return
                code = 200
                headers = {}
                if parts[0] == "retry-after" and count <= int(parts[3]):
                    code, ahead = 503, int(parts[2])
                    headers["Retry-After"] = str(ahead) if parts[1] == "seconds" else \
                        email.utils.formatdate(time.time() + ahead, usegmt=True)
                if parts[0] == "flaky" and count <= int(parts[1]):
                    code = 500
                if parts[0] == "status":
                    code = int(parts[1])
                if parts[0] == "switch" and parts[1] in receiver.failing:
                    code = 500
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        class Server(ThreadingHTTPServer):
            # The default listen backlog (5) drops connections in a burst of deliveries.
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path_prefix=None, job=None):
        with self.lock:
            items = list(self.requests)
        return [r for r in items
                if (path_prefix is None or r["path"].startswith(path_prefix))
                and (job is None or (r["json"] or {}).get("id") == job)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
