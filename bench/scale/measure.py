#!/usr/bin/env python3
"""Flat at scale: times the reads that must not slow down as the data grows.

    measure.py samples --database-url URL --client sandbox --out samples.json
    measure.py run --base URL --client sandbox --key KEY --samples samples.json \
        --username bench --password-file FILE --probe probe.json --n 200 --label 1000k --out 1000k.json
    measure.py compare empty.json 1000k.json --max-ratio 2

`samples` picks ids from the database (sqlite3 module, or psql for PostgreSQL). `run` makes N
requests of each case on one keep-alive connection, the cases interleaved, and adds the store
probe's timings (`verity probe`): view a session, list a user's sessions, events by date, the
console's review queue, the fraud-fingerprint lookup, the retention scan; the baseline is
GET /healthz through the same router and middleware. `compare` prints each case's p95 on the
full database against the empty one and exits 1 when a ratio is above --max-ratio.
Python 3 standard library only.
"""

import argparse
import base64
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "console"))
from measure import Console, percentile  # noqa: E402

BASELINE = "baseline"


def query(url, sql):
    """Rows of one query, as lists of strings."""
    if url.startswith("sqlite:"):
        path = url.split("://", 1)[-1].split("?", 1)[0]
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return [[str(v) for v in row] for row in db.execute(sql)]
    out = subprocess.run(["psql", "-qtAX", "-F", "\t", url, "-c", sql], check=True, capture_output=True, text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def samples(args):
    c = args.client.replace("'", "")
    pick = lambda sql: [r[0] for r in query(args.database_url, sql)]
    sessions = pick(f"SELECT id FROM idv_sessions WHERE client_id = '{c}' ORDER BY random() LIMIT {args.n}")
    users = pick(f"SELECT user_id FROM idv_sessions WHERE client_id = '{c}' ORDER BY random() LIMIT {args.n}")
    review = query(args.database_url, f"SELECT id, user_id FROM idv_sessions WHERE client_id = '{c}' "
                                      f"AND status = 'REVIEW' ORDER BY random() LIMIT {args.n}")
    lo, hi = query(args.database_url, f"SELECT MIN(date), MAX(date) FROM events WHERE client_id = '{c}'")[0]
    per_session = query(args.database_url, "SELECT COUNT(*) FROM idv_sessions")[0][0]
    out = {
        "client": args.client,
        "sessions": sessions,
        "users": users,
        "review_sessions": [r[0] for r in review],
        # The session whose fingerprints the probe rewrites, and its user.
        "probe": [review[-1][1], review[-1][0]] if review else [],
        "event_dates": [int(lo), int(hi)] if lo not in ("", "None") else [0, 0],
        "session_count": int(per_session),
    }
    with open(args.out, "w") as f:
        json.dump(out, f)


class Api:
    """One keep-alive connection with a bearer token."""

    def __init__(self, base, client, key):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        basic = base64.b64encode(f"{client}:{key}".encode()).decode()
        status, body = self.request("POST", "/v2.01/oauth/token", "grant_type=client_credentials",
                                    {"Authorization": f"Basic {basic}",
                                     "Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            sys.exit(f"error: token request answered {status}: {body[:200]}")
        self.token = json.loads(body)["access_token"]

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")

    def get(self, path):
        return self.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})


def run(args):
    s = json.load(open(args.samples))
    api = Api(args.base, args.client, args.key)
    console = Console(args.base)
    console.sign_in(args.username, open(args.password_file).read().strip())
    c = args.client
    lo, hi = s["event_dates"]
    # Mangopay searches the last 45 days only.
    lo = max(lo, int(time.time()) - 44 * 86400)
    hi = max(hi, lo)
    rng = random.Random(7)
    # One-day windows at random places in the events' searchable span.
    windows = [(d, d + 86400) for d in (rng.randint(lo, max(lo, hi - 86400)) for _ in range(args.n))]
    pick = lambda key, k: s[key][k % len(s[key])]
    cases = [
        ("view", "GET a session (a different one each time)", api,
         lambda k: f"/v2.01/{c}/identity-verifications/{pick('sessions', k)}"),
        ("user list", "GET a user's sessions", api,
         lambda k: f"/v2.01/{c}/users/{pick('users', k)}/identity-verifications"),
        ("events", "GET events of one day (first page of 10)", api,
         lambda k: f"/v2.01/{c}/events?AfterDate={windows[k][0]}&BeforeDate={windows[k][1]}&per_page=10"),
        ("queue", "GET /console/reviews (first page)", console, lambda k: "/console/reviews"),
        (BASELINE, "GET /healthz (baseline)", api, lambda k: "/healthz"),
    ]
    timings = {name: [] for name, *_ in cases}
    # A first pass, not counted, brings the pages the cases read into memory, as a server's
    # would be after a while: the measured pass reads the same ids and windows again.
    for counted in (False, True):
        for k in range(args.n):
            for name, _, client, path in cases:
                url = path(k)
                started = time.perf_counter()
                status = client.get(url)[0] if client is api else client.request("GET", url)[0]
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    sys.exit(f"error: {name}: GET {url} answered {status}")
                if counted:
                    timings[name].append(elapsed)
    probe = json.load(open(args.probe))
    result = {"label": args.label, "n": args.n, "sessions": s["session_count"], "cases": []}
    for name, what, *_ in cases:
        result["cases"].append(summary(name, what, timings[name]))
    for name, p in probe.items():
        found = f" [found {p['found']}]" if "found" in p else ""
        result["cases"].append(summary(name, p["what"] + found, p["ms"]))
    print_run(result)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


def summary(name, what, values):
    values = sorted(values)
    return {"name": name, "what": what, "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": values[-1]}


def print_run(result):
    print(f"{result['label']} ({result['sessions']} sessions): {result['n']} requests per case")
    print(f"  {'case':<12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  what")
    for c in result["cases"]:
        print(f"  {c['name']:<12} {c['p50']:8.2f} {c['p95']:8.2f} {c['p99']:8.2f} {c['max']:8.2f}  {c['what']}")


def compare(args):
    small, large = (json.load(open(p)) for p in (args.small, args.large))
    s_cases = {c["name"]: c for c in small["cases"]}
    print(f"p95 in ms: {small['label']} ({small['sessions']} sessions) against {large['label']} "
          f"({large['sessions']} sessions); limit {args.max_ratio:g}x")
    print(f"  {'case':<12} {'empty p95':>10} {'full p95':>10} {'full/empty':>11}  verdict")
    over = []
    for l in large["cases"]:
        s = s_cases[l["name"]]
        ratio = l["p95"] / s["p95"]
        verdict = "ok" if ratio <= args.max_ratio else f"OVER {args.max_ratio:g}x"
        if ratio > args.max_ratio:
            over.append(l["name"])
        print(f"  {l['name']:<12} {s['p95']:10.2f} {l['p95']:10.2f} {ratio:10.2f}x  {verdict}")
    if over:
        print(f"FAIL: above {args.max_ratio:g}x the empty database: {', '.join(over)}")
        sys.exit(1)
    print(f"PASS: every case within {args.max_ratio:g}x of the empty database")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("samples")
    p.add_argument("--database-url", required=True)
    p.add_argument("--client", default="sandbox")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--out", required=True)
    r = sub.add_parser("run")
    for flag in ("--base", "--client", "--key", "--samples", "--username", "--password-file", "--probe", "--out"):
        r.add_argument(flag, required=True)
    r.add_argument("--n", type=int, default=200)
    r.add_argument("--label", default="run")
    c = sub.add_parser("compare")
    c.add_argument("small")
    c.add_argument("large")
    c.add_argument("--max-ratio", type=float, default=2.0)
    args = parser.parse_args()
    {"samples": samples, "run": run, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
