#!/usr/bin/env python3
"""The 2026 PSC flow through the official Python SDK (mangopay4-python-sdk), against Verity.

A sandbox client with the PSC flow activated (`verity clients set-policy ID --psc-flow on`): a
business user's session is scripted by its Tag (`verity:accept` for the main session,
`verity:psc=accept` for every PSC's own session); the SDK then reads `PSCs` on the session and
retries the PSC with `Psc.retry`, and a real receiver gets the PSC webhooks.

    .venv4/bin/python psc.py

Reads VERITY_BASE_URL, VERITY_CLIENT_ID and VERITY_API_KEY like sandbox.py, whose helpers (the
step runner, the webhook receiver, the fixtures) it uses. Exits 0 when every step passed.
"""
from __future__ import annotations

import sys

import sandbox as s  # configures the SDK from the environment
from mangopay.resources import IdentityVerification, Notification, Psc

EVENTS = [
    'IDENTITY_VERIFICATION_VALIDATED',
    'IDENTITY_VERIFICATION_PENDING_PSC_ACTION',
    'IDENTITY_VERIFICATION_PSC_PENDING',
    'IDENTITY_VERIFICATION_PSC_VALIDATED',
    'USER_KYC_REGULAR',
]


def main():
    ctx = {}

    def start():
        ctx['receiver'] = s.start_receiver()
        return 'http://127.0.0.1:%d' % ctx['receiver'].server_address[1]

    s.step('start the webhook receiver', start)
    base = 'http://127.0.0.1:%d' % ctx['receiver'].server_address[1]
    for event in EVENTS:
        def register(event=event):
            h = Notification(event_type=event, url=base + s.hook_path(event), tag='verity-python-psc')
            h.save()
            s.check(h.event_type == event, 'EventType should be %s' % event, s.last_json())
            return h.id

        s.step('register a %s hook' % event, register)

    def create():
        user, _ = s.legal_user('psc', 'BUSINESS', 'ACME PSC', 'Alex', 'Smith')
        ctx['user'] = user
        ctx['session'] = s.create_session(user.id, s.session_tag('psc', 'verity:accept verity:psc=accept'))
        return ctx['session']

    s.step('create a business user and a session scripted for the PSC flow', create)

    def main_validated():
        s.expect_webhook('IDENTITY_VERIFICATION_VALIDATED', ctx['session'])
        return s.expect_webhook('IDENTITY_VERIFICATION_PENDING_PSC_ACTION', ctx['session'])

    s.step('the main session is validated and the PSCs are asked for', main_validated)

    def first_psc_validated():
        hit = s.expect_webhook('IDENTITY_VERIFICATION_PSC_VALIDATED', ctx['session'])
        s.expect_webhook('USER_KYC_REGULAR', ctx['user'].id)
        return hit

    s.step('the legal representative is validated in their own session; the user is REGULAR', first_psc_validated)

    def read_pscs():
        session = IdentityVerification.get(ctx['session'])
        raw = s.last_json()
        pscs = session.pscs
        s.check(isinstance(pscs, list) and len(pscs) == 1, 'PSCs should hold the legal representative', raw)
        psc = pscs[0]
        s.check(psc.get('PscType') == 'LEGAL_REPRESENTATIVE', 'PscType should be LEGAL_REPRESENTATIVE', psc)
        s.check(psc.get('Status') == 'VALIDATED', 'Status should be VALIDATED', psc)
        s.check(psc.get('FirstName') == 'Alex' and psc.get('LastName') == 'Smith', 'names as declared', psc)
        s.check(psc.get('Email', '').endswith('@example.com'), 'Email should be the representative\'s', psc)
        s.check(psc.get('MainSessionId') == ctx['session'], 'MainSessionId should be the session', psc)
        s.check(s.is_unix_seconds(psc.get('ValidationDate')), 'ValidationDate should be Unix seconds', psc)
        s.check(psc.get('HostedUrl', '').startswith(s.BASE_URL + '/verify/'), 'HostedUrl should be Verity\'s', psc)
        ctx['psc'] = psc
        return psc['Id']

    s.step('IdentityVerification.get shows the PSC', read_pscs)

    def retry():
        psc = Psc.retry(ctx['session'], ctx['psc']['Id'], email='alex.smith@example.org')
        raw = s.last_json()
        # The SDK gives the answer's fields by their Python names.
        s.check(isinstance(psc, dict), 'Psc.retry should give the PSC\'s fields', raw)
        s.check(psc.get('status') == 'PENDING_VALIDATION', 'a retried PSC is pending again', raw)
        s.check(psc.get('email') == 'alex.smith@example.org', 'the corrected Email should be echoed', raw)
        s.check(psc.get('psc_type') == 'LEGAL_REPRESENTATIVE', 'PscType should be kept', raw)
        s.check(psc.get('hosted_url') and psc['hosted_url'] != ctx['psc']['HostedUrl'],
                'a validated PSC gets a new link', raw)
        return psc['hosted_url']

    s.step('Psc.retry with a corrected e-mail (PUT .../pscs/{PscId}/retry)', retry)

    def revalidated():
        s.expect_webhook('IDENTITY_VERIFICATION_PSC_PENDING', ctx['session'])

        def two():
            with s._cond:
                return sum(1 for h in s._received
                           if h['query'].get('EventType') == 'IDENTITY_VERIFICATION_PSC_VALIDATED'
                           and h['query'].get('RessourceId') == ctx['session'])

        deadline = s.time.monotonic() + s.WEBHOOK_TIMEOUT
        with s._cond:
            while two() < 2:
                left = deadline - s.time.monotonic()
                s.check(left > 0, 'a second IDENTITY_VERIFICATION_PSC_VALIDATED should arrive', s._summary())
                s._cond.wait(left)
        return 'validated again'

    s.step('the retried PSC session is decided again', revalidated)

    def unknown():
        # This SDK version raises for some verbs only: read the answer itself.
        try:
            Psc.retry(ctx['session'], 'psc_x_NOPE')
        except s.APIError:
            pass
        res = s._last['response']
        body = s.last_json()
        s.check(res is not None and res.status_code == 404, 'an unknown PSC should be a 404', body)
        s.check(isinstance(body, dict) and body.get('Type') == 'ressource_not_found',
                'the error Type should be ressource_not_found', body)
        return '404 %s' % body['Type']

    s.step('Psc.retry of an unknown PSC is a 404', unknown)
    ctx['receiver'].shutdown()
    ctx['receiver'].server_close()
    print('PASS %s==%s PSC flow: %d steps' % (s.SDK_DIST, s.SDK_VERSION, s._state['count']))


if __name__ == '__main__':
    try:
        main()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001
        print('FAIL %s: harness error: %s: %s' % (s._state['step'], type(exc).__name__, exc))
        sys.exit(1)
