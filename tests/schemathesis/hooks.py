"""Schemathesis hooks of run.sh.

Generated `Idempotency-Key` values repeat a lot (the coverage phase sends the shortest valid key
on every case), and a key can be used once: most POSTs would be answered 409 before their body
is read. Three valid keys in four are made unique just before the call, so bodies get tested;
the fourth is sent as generated, so reused keys (409) are tested too. Malformed keys are sent
as generated.
"""

import itertools
import re
import uuid

import schemathesis

_VALID = re.compile(r"[A-Za-z0-9-]{16,36}")
_count = itertools.count()


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if not headers:
        return
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _VALID.fullmatch(key) and next(_count) % 4:
        headers["Idempotency-Key"] = str(uuid.uuid4())
