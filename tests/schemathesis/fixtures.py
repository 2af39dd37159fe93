"""Creates real objects through a running Verity so Schemathesis can use real ids.

Usage: python3 fixtures.py BASE_URL CLIENT_ID API_KEY ADMIN_TOKEN
Prints `NAME=value` lines (shell-safe values) for run.sh to export. Standard library only.
"""

import base64
import json
import sys
import time
import urllib.error
import urllib.request

BASE, CLIENT, API_KEY, ADMIN = sys.argv[1:5]


def call(method, path, body=None, token=None, basic=None, headers=None, expect=200):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if basic:
        req.add_header("Authorization", "Basic " + base64.b64encode(basic.encode()).decode())
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status != expect:
        sys.exit(f"fixtures: {method} {path} answered {status}, expected {expect}: {text}")
    return json.loads(text) if text else None


token = call("POST", "/v2.01/oauth/token", basic=f"{CLIENT}:{API_KEY}")["access_token"]
api = f"/v2.01/{CLIENT}"


def natural():
    return call("POST", f"{api}/users/natural", {
        "FirstName": "Alex", "LastName": "Smith", "Email": "alex.smith@example.com",
        "Birthday": 188352000, "Nationality": "FR", "CountryOfResidence": "FR",
        "TermsAndConditionsAccepted": True, "UserCategory": "OWNER",
    }, token=token)["Id"]


def legal():
    return call("POST", f"{api}/users/legal", {
        "Name": "Alex Smith Services", "LegalPersonType": "BUSINESS", "Email": "contact@example.com",
        "CompanyNumber": "123456789",
        "HeadquartersAddress": {"AddressLine1": "1 rue de la Paix", "City": "Paris",
                                "PostalCode": "75002", "Country": "FR"},
        "LegalRepresentativeFirstName": "Alex", "LegalRepresentativeLastName": "Smith",
        "LegalRepresentativeEmail": "alex.smith@example.com", "LegalRepresentativeBirthday": 188352000,
        "LegalRepresentativeNationality": "FR", "LegalRepresentativeCountryOfResidence": "FR",
        "TermsAndConditionsAccepted": True, "UserCategory": "OWNER",
    }, token=token)["Id"]


def session(user):
    return call("POST", f"{api}/users/{user}/identity-verifications",
                {"ReturnUrl": "https://example.com/back", "Tag": "schemathesis"}, token=token)["Id"]


out = {"VERITY_TOKEN": token}
out["NATURAL_ID"] = natural()
out["LEGAL_ID"] = legal()
out["NATURAL_CLOSE_ID"] = natural()
out["LEGAL_CLOSE_ID"] = legal()
# A hook on the PENDING event, so the sessions below queue webhook deliveries (to a closed port).
out["HOOK_ID"] = call("POST", f"{api}/hooks", {
    "EventType": "IDENTITY_VERIFICATION_PENDING", "Url": "http://127.0.0.1:9/verity-hook",
}, token=token)["Id"]
out["SESSION_ID"] = session(out["NATURAL_ID"])
out["EXPIRE_SESSION_ID"] = session(out["NATURAL_ID"])
out["REDACT_SESSION_ID"] = session(out["NATURAL_ID"])
# A REGULAR user (its session validated), for the downgrade operations.
out["DOWNGRADE_USER_ID"] = natural()
validated = session(out["DOWNGRADE_USER_ID"])
call("POST", f"{api}/sandbox/identity-verifications/{validated}/outcome", {"Status": "VALIDATED"}, token=token)
for _ in range(50):
    if call("GET", f"{api}/users/{out['DOWNGRADE_USER_ID']}", token=token)["KYCLevel"] == "REGULAR":
        break
    time.sleep(0.2)
else:
    sys.exit("fixtures: the validated user did not become REGULAR")
# A session in REVIEW (a legal user's: natural users' never go to review), for the admin
# approve and refuse operations.
out["REVIEW_SESSION_ID"] = session(out["LEGAL_ID"])
call("POST", f"{api}/sandbox/identity-verifications/{out['REVIEW_SESSION_ID']}/outcome",
     {"Status": "REVIEW"}, token=token)
# A stored idempotent response.
out["IDEMPOTENCY_KEY"] = "schemathesis-key-0001"
call("POST", f"{api}/users/{out['NATURAL_ID']}/identity-verifications",
     {"ReturnUrl": "https://example.com/back"}, token=token,
     headers={"Idempotency-Key": out["IDEMPOTENCY_KEY"]})
# A webhook delivery (the outbox picks the PENDING events up within moments).
for _ in range(50):
    found = call("GET", "/admin/v1/webhook-deliveries", token=ADMIN)
    if found:
        out["DELIVERY_ID"] = found[0]["Id"]
        break
    time.sleep(0.2)
else:
    sys.exit("fixtures: no webhook delivery was queued")

for k, v in out.items():
    print(f"{k}={v}")
