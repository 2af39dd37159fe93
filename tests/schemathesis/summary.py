"""Prints the summary of a Schemathesis JSON report; exits 1 on any failure or error.

Usage: python3 summary.py REPORT.json
"""

import json
import sys

try:
    with open(sys.argv[1]) as f:
        report = json.load(f)
except (OSError, ValueError) as e:
    print(f"   no report: {e}")
    sys.exit(1)

ops = report.get("operations") or {}
cases = report.get("test_cases") or {}
failures = report.get("failures") or []
errors = report.get("errors") or []
server = sum(f["count"] for f in failures if f["type"] == "ServerError")
other = sum(f["count"] for f in failures if f["type"] != "ServerError")

print(f"   schemathesis {report.get('schemathesis_version')}, run time {report.get('running_time') or 0:.0f} s")
print(
    f"   operations tested: {ops.get('tested')}/{ops.get('selected')}"
    f" (errored {ops.get('errored')}, skipped {ops.get('skipped')})"
)
print(f"   test cases: {cases.get('generated')} generated, {cases.get('with_failures')} with failures")
print(f"   server errors (5xx): {server}")
print(f"   other check failures (status code, content type, body schema): {other}")
print(f"   run errors: {sum(e['count'] for e in errors)}")
for f in failures:
    where = ", ".join(f.get("operations", [])[:5])
    print(f"     {f['count']} x {f['title']} [{f['type']}]: {where}")
for e in errors:
    print(f"     {e['count']} x {e['title']}")
sys.exit(1 if failures or errors else 0)
