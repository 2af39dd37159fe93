#!/usr/bin/env python3
"""Console latency: signs in to a running Verity's console and times its pages.

    measure.py run --base http://127.0.0.1:PORT --username bench --password-file FILE \
        --name "Marie Dubois" --surname Dubois --company 10000042 --document AB0000042 \
        --n 200 --label 100k --out result.json
    measure.py compare empty.json 100k.json --limit-ms 100

`run` makes N requests of each case, sequentially on one keep-alive connection, the cases
interleaved (request k of every case, then request k+1) so that a drift of the machine weighs on
all of them alike, and prints p50/p95/p99 in ms and each p95 against the baseline's (a static
file served through the same router and middleware). `compare` prints two runs side by side and
exits 1 when a case's p95 in the second run is above the limit. Python 3 standard library only.
"""

import argparse
import http.client
import json
import re
import sys
import time
import urllib.parse

BASELINE = "static"


class Console:
    """One keep-alive HTTP connection with the console's cookies."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.cookies = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: open another once.
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value:
                    self.cookies[name.strip()] = cookie_value
                else:
                    self.cookies.pop(name.strip(), None)
        return response.status, response.getheader("Location"), data.decode("utf-8", "replace")

    def sign_in(self, username, password):
        status, _, page = self.request("GET", "/console/login")
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        if status != 200 or not match:
            sys.exit(f"error: GET /console/login answered {status} without a csrf field")
        form = urllib.parse.urlencode(
            {"csrf": match.group(1), "username": username, "password": password, "code": ""}
        )
        status, location, page = self.request(
            "POST",
            "/console/login",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status not in (302, 303) or "verity_console" not in self.cookies:
            alert = re.search(r'role="alert"[^>]*>([^<]*)<', page)
            sys.exit(f"error: sign-in failed ({status}): {alert.group(1) if alert else page[:200]}")
        return location


def session_links(page):
    """The sessions a queue page links to, in order."""
    seen, out = set(), []
    for link in re.findall(r'href="(/console/clients/[^/"]+/sessions/[^/"?]+)"', page):
        if link not in seen:
            seen.add(link)
            out.append(link)
    return out


def found(page):
    """How many sessions a queue page says match ("1000 sessions REVIEW", "12 ... found")."""
    match = re.search(r"(\d+) (?:of the )?sessions", page)
    return int(match.group(1)) if match else None


def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def run(args):
    console = Console(args.base)
    console.sign_in(args.username, open(args.password_file).read().strip())
    q = lambda text, **extra: "/console/reviews?" + urllib.parse.urlencode({"q": text, **extra})
    searches = [
        ("name", args.name, f"search name '{args.name}' (in REVIEW)", lambda k: q(args.name)),
        ("name any", args.name, f"search name '{args.name}' (any status)", lambda k: q(args.name, status="")),
        ("surname", args.surname, f"search name '{args.surname}' (in REVIEW)", lambda k: q(args.surname)),
        ("company", args.company, f"search company number {args.company}", lambda k: q(args.company)),
        ("document", args.document, f"search document number {args.document}", lambda k: q(args.document)),
    ]
    cases = [
        ("queue", "GET /console/reviews (first page)", lambda k: "/console/reviews"),
        ("queue p10", "GET /console/reviews?page=10", lambda k: "/console/reviews?page=10"),
    ] + [(name, what, path) for name, sample, what, path in searches if sample]

    # Sessions to open, one different session per request where the queue holds enough.
    pages, page_no = [], 1
    while len(pages) < args.n:
        status, _, body = console.request("GET", f"/console/reviews?page={page_no}")
        links = session_links(body) if status == 200 else []
        if not links:
            break
        pages.extend(links)
        page_no += 1
    if not pages:
        sys.exit("error: the review queue is empty; fill the database with --review first")
    cases.append(("session", f"GET a session page ({min(len(pages), args.n)} different ones)",
                  lambda k: pages[k % len(pages)]))
    cases.append((BASELINE, "GET /console/static/console.css (baseline)",
                  lambda k: "/console/static/console.css"))

    timings = {name: [] for name, _, _ in cases}
    counts = {}
    for name, _, path in cases:  # warm-up, not counted; also checks every case answers 200
        status, location, body = console.request("GET", path(10_000))
        if status != 200:
            sys.exit(f"error: {name}: GET {path(10_000)} answered {status} {location or ''}")
        counts[name] = found(body)
    for k in range(args.n):
        for name, _, path in cases:
            url = path(k)
            started = time.perf_counter()
            status, location, _ = console.request("GET", url)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                sys.exit(f"error: {name}: GET {url} answered {status} {location or ''}")
            timings[name].append(elapsed)

    result = {"label": args.label, "n": args.n, "cases": []}
    for name, what, _ in cases:
        values = sorted(timings[name])
        result["cases"].append({
            "name": name,
            "what": what,
            "found": counts.get(name) if name not in ("session", BASELINE) else None,
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "max": values[-1],
        })
    print_run(result)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


def by_name(result):
    return {c["name"]: c for c in result["cases"]}


def print_run(result):
    base = by_name(result)[BASELINE]["p95"]
    print(f"{result['label']}: {result['n']} requests per case, one keep-alive connection")
    print(f"  {'case':<10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p95/base':>9} {'found':>6}  what")
    for c in result["cases"]:
        found_text = "" if c["found"] is None else str(c["found"])
        print(f"  {c['name']:<10} {c['p50']:8.2f} {c['p95']:8.2f} {c['p99']:8.2f} {c['max']:8.2f} "
              f"{c['p95'] / base:8.1f}x {found_text:>6}  {c['what']}")


def compare(args):
    small, large = (json.load(open(p)) for p in (args.small, args.large))
    s_cases, l_cases = by_name(small), by_name(large)
    s_base, l_base = s_cases[BASELINE]["p95"], l_cases[BASELINE]["p95"]
    print(f"p95 in ms, {small['label']} against {large['label']} (limit {args.limit_ms:g} ms at {large['label']})")
    print(f"  {'case':<10} {small['label'] + ' p95':>11} {large['label'] + ' p95':>11} "
          f"{large['label'] + '/' + small['label']:>11} {'vs base ' + small['label']:>13} "
          f"{'vs base ' + large['label']:>13}  verdict")
    over = []
    for name, l in l_cases.items():
        s = s_cases.get(name)
        s_p95 = s["p95"] if s else float("nan")
        verdict = "ok" if l["p95"] <= args.limit_ms else f"OVER {args.limit_ms:g} ms"
        if l["p95"] > args.limit_ms:
            over.append(f"{name} ({l['what']}): p95 {l['p95']:.1f} ms")
        print(f"  {name:<10} {s_p95:11.2f} {l['p95']:11.2f} {l['p95'] / s_p95:10.1f}x "
              f"{s_p95 / s_base:12.1f}x {l['p95'] / l_base:12.1f}x  {verdict}")
    if over:
        print(f"FAIL: p95 above {args.limit_ms:g} ms at {large['label']}:")
        for line in over:
            print(f"  {line}")
        sys.exit(1)
    print(f"PASS: every p95 at {large['label']} is under {args.limit_ms:g} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--username", required=True)
    r.add_argument("--password-file", required=True)
    r.add_argument("--name", help="a full name that exists (first and last)")
    r.add_argument("--surname", help="a last name that exists")
    r.add_argument("--company", help="a company number that exists")
    r.add_argument("--document", help="a document number that exists")
    r.add_argument("--n", type=int, default=200)
    r.add_argument("--label", default="run")
    r.add_argument("--out")
    c = sub.add_parser("compare")
    c.add_argument("small")
    c.add_argument("large")
    c.add_argument("--limit-ms", type=float, default=100.0)
    args = parser.parse_args()
    run(args) if args.command == "run" else compare(args)


if __name__ == "__main__":
    main()
