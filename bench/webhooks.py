#!/usr/bin/env python3
"""Webhook delivery benchmark.

Drives a running Verity through N state changes (the sandbox force-outcome helper, PENDING ->
VALIDATED) with a hook on IDENTITY_VERIFICATION_VALIDATED pointing at a receiver in this process,
and measures:
  - state changes per second through the API,
  - webhooks received per second (first change to last webhook),
  - latency from each change (its API answer) to its webhook arriving: p50 / p90 / p99 / max.
Baseline in the same run: the same client sending the same number of plain GETs straight to the
receiver (the cost of the HTTP round trip alone), reported as a rate; the delivery rate is shown
as a ratio of it.

  python3 bench/webhooks.py --base http://127.0.0.1:8080 --client sandbox --key API_KEY [--n 500] [--concurrency 8]

bench/webhooks.sh starts a fresh release server on SQLite and PostgreSQL and runs this script.
"""
import argparse
import base64
import http.client
import http.server
import json
import statistics
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrivals = {}
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        now = time.perf_counter()
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        with self.server.lock:
            if "RessourceId" in q:
                self.server.arrivals.setdefault(q["RessourceId"][0], now)
            self.server.done.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Api:
    """One keep-alive connection per thread."""

    def __init__(self, base, client, token):
        self.url = urllib.parse.urlparse(base)
        self.client = client
        self.token = token
        self.local = threading.local()

    def call(self, method, path, body=None):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        conn.request(method, f"/v2.01/{self.client}{path}", body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status} {data[:300]!r}")
        return json.loads(data) if data else None


def token(base, client, key):
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    auth = base64.b64encode(f"{client}:{key}".encode()).decode()
    conn.request("POST", "/v2.01/oauth/token", body="grant_type=client_credentials",
                 headers={"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    return json.loads(resp.read())["access_token"]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--label", default="")
    args = ap.parse_args()

    rx = Receiver()
    threading.Thread(target=rx.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{rx.server_address[1]}/hook"
    api = Api(args.base, args.client, token(args.base, args.client, args.key))
    api.call("POST", "/hooks", {"EventType": "IDENTITY_VERIFICATION_VALIDATED", "Url": hook_url})
    user = api.call("POST", "/users/natural", {
        "FirstName": "Bench", "LastName": "User", "Email": "bench@example.com", "Birthday": 188352000,
        "Nationality": "FR", "CountryOfResidence": "FR", "TermsAndConditionsAccepted": True, "UserCategory": "OWNER"})["Id"]
    with ThreadPoolExecutor(args.concurrency) as pool:
        sessions = list(pool.map(lambda _: api.call("POST", f"/users/{user}/identity-verifications",
                                                    {"ReturnUrl": "https://example.com"})["Id"], range(args.n)))

    # Baseline: the same number of round trips straight to the receiver.
    def direct(i):
        conn = getattr(direct_local, "conn", None)
        if conn is None:
            conn = direct_local.conn = http.client.HTTPConnection("127.0.0.1", rx.server_address[1], timeout=10)
        conn.request("GET", f"/hook?EventType=BASELINE&RessourceId=baseline-{i}&Date=0")
        conn.getresponse().read()
    direct_local = threading.local()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(direct, range(args.n)))
    baseline_rate = args.n / (time.perf_counter() - t0)

    changed = {}

    def change(s):
        api.call("POST", f"/sandbox/identity-verifications/{s}/outcome", {"Status": "VALIDATED"})
        changed[s] = time.perf_counter()

    start = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(change, sessions))
    changes_done = time.perf_counter()
    deadline = time.time() + 120
    with rx.lock:
        while sum(1 for s in sessions if s in rx.arrivals) < len(sessions):
            if time.time() > deadline:
                raise SystemExit(f"only {sum(1 for s in sessions if s in rx.arrivals)} of {len(sessions)} webhooks arrived")
            rx.done.wait(1)
        arrivals = {s: rx.arrivals[s] for s in sessions}
    last = max(arrivals.values())
    latencies = [max(0.0, arrivals[s] - changed[s]) * 1000 for s in sessions]
    change_rate = args.n / (changes_done - start)
    delivery_rate = args.n / (last - start)
    print(f"{args.label}state changes/s {change_rate:8.1f}   webhooks received/s {delivery_rate:8.1f}"
          f"   (receiver baseline {baseline_rate:8.1f}/s; delivery/baseline {delivery_rate / baseline_rate:.3f};"
          f" delivery/change {delivery_rate / change_rate:.3f})")
    print(f"{args.label}change -> webhook latency ms: p50 {pct(latencies, 50):.1f}  p90 {pct(latencies, 90):.1f}"
          f"  p99 {pct(latencies, 99):.1f}  max {max(latencies):.1f}  mean {statistics.mean(latencies):.1f}  (n={args.n})")


if __name__ == "__main__":
    main()
