"""The chaos suite's webhook receiver: a process of its own that answers 200 to every POST and
records each one, before answering, as a JSON line in --out: arrival number (`seq`), time,
path, `webhook-id`, `webhook-timestamp` and body. It prints "listening on PORT" when ready.

    python3 chaos_receiver.py --out deliveries.jsonl [--port 0]
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    out = open(args.out, "a", buffering=1)
    lock = threading.Lock()
    counter = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            with lock:
                counter[0] += 1
                out.write(json.dumps({
                    "seq": counter[0], "t": time.time(), "path": self.path,
                    "id": self.headers.get("webhook-id"), "timestamp": self.headers.get("webhook-timestamp"),
                    "body": body,
                }) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024
        daemon_threads = True

    server = Server(("127.0.0.1", args.port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
