"""Model server for the wine model (the serving contract of a Sluice deployment), standard library only
besides the model's own packages.

GET /ready    -> 200 {"model": name, "version": N} once the model is loaded (503 before)
POST /predict -> {"rows": [{feature: value, ...}, ...]} -> {"predictions": [...], "version": N}

The worker puts the registered model version in SLUICE_MODEL_DIR (train.py's model.pkl) and picks
the port (SLUICE_PORT) and the address (SLUICE_BIND_ADDRESS: loopback, except for a pod of its own
network on Kubernetes).
"""
import json, os, pickle, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd

MODEL_DIR = os.environ.get("SLUICE_MODEL_DIR", "/sluice/model")
NAME = os.environ.get("SLUICE_MODEL_NAME", "wine")
VERSION = int(os.environ.get("SLUICE_MODEL_VERSION", "0"))
PORT = int(os.environ.get("SLUICE_PORT", "8080"))
HOST = os.environ.get("SLUICE_BIND_ADDRESS", "127.0.0.1")

files = sorted(f for f in os.listdir(MODEL_DIR) if f.endswith(".pkl")) or sorted(os.listdir(MODEL_DIR))
with open(os.path.join(MODEL_DIR, files[0]), "rb") as f:
    model = pickle.load(f)
features = list(getattr(model, "feature_names", []))


class Handler(BaseHTTPRequestHandler):
    # Keep-alive: the gateway keeps a pool of connections open; HTTP/1.0 would close each after one answer.
    # Every answer carries its content-length, which HTTP/1.1 needs.
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, the body waits for the peer's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/ready":
            return self.send(200, {"model": NAME, "version": VERSION})
        self.send(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/predict":
            return self.send(404, {"error": "not found"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            rows = body["rows"]
            frame = pd.DataFrame(rows)
            missing = [c for c in features if c not in frame.columns]
            if missing:
                return self.send(400, {"error": f"rows lack features: {', '.join(missing)}"})
            frame = frame[features] if features else frame
        except (ValueError, KeyError, TypeError) as e:
            return self.send(400, {"error": f"expected {{\"rows\": [{{feature: value}}]}}: {e}"})
        predictions = [int(p) for p in model.predict(frame)]
        self.send(200, {"predictions": predictions, "version": VERSION})

    def log_message(self, fmt, *args):
        pass  # one line per request would drown the instance log


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default of 5 refuses connections under a burst


server = Server((HOST, PORT), Handler)
print(f"serving {NAME}/{VERSION} ({len(features)} features) on {HOST}:{PORT}", flush=True)
sys.stdout.flush()
server.serve_forever()
