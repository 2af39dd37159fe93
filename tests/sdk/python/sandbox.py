#!/usr/bin/env python3
"""Sandbox flow for the official Mangopay Python SDK against a running Verity server.

Drives the SDK (unmodified) through Verity's scripted sandbox outcomes (Tag directives and the
sandbox test helpers) and checks the real webhooks Verity sends to a receiver started here.
Works with both distributions that install the ``mangopay`` package:

    .venv4/bin/python sandbox.py    # mangopay4-python-sdk==4.2.0
    .venv3/bin/python sandbox.py    # mangopaysdk==3.51.1 (older name)

Reads VERITY_BASE_URL (no trailing slash, no /v2.01), VERITY_CLIENT_ID (a sandbox client) and
VERITY_API_KEY. The receiver listens on 127.0.0.1 (ephemeral port) and the client's hooks are
pointed at it, so two sandbox runs must not share one client at the same time.
Prints one line per step; exits 0 when every step passed, 1 on the first failure (naming the
step and what the server answered), 2 on bad usage.
"""
from __future__ import annotations

import datetime
import http.server
import json
import logging
import os
import secrets
import sys
import threading
import time
import urllib.parse


def _env(name):
    value = os.environ.get(name)
    if not value:
        print('missing environment variable %s' % name)
        sys.exit(2)
    return value


BASE_URL = _env('VERITY_BASE_URL').rstrip('/')
CLIENT_ID = _env('VERITY_CLIENT_ID')
API_KEY = _env('VERITY_API_KEY')

# The SDK memoizes its default APIRequest handler on first use and reads the module-level
# settings at that moment, so configure before anything else touches the SDK.
import mangopay  # noqa: E402

mangopay.client_id = CLIENT_ID
mangopay.apikey = API_KEY
mangopay.sandbox = True
mangopay.api_sandbox_url = BASE_URL + '/v2.01/'

# The SDK logs every non-2xx answer at ERROR level; the expected 400s are checked here.
logging.getLogger('mangopay').addHandler(logging.NullHandler())

import requests  # noqa: E402  (a dependency of the SDK)

from mangopay.exceptions import APIError  # noqa: E402
from mangopay.resources import (  # noqa: E402
    IdentityVerification,
    LegalUser,
    NaturalUser,
    Notification,
)
from mangopay.signals import request_finished  # noqa: E402
from mangopay.utils import Address  # noqa: E402

EVENT_TYPES = [
    'IDENTITY_VERIFICATION_PENDING',
    'IDENTITY_VERIFICATION_VALIDATED',
    'IDENTITY_VERIFICATION_FAILED',
    'IDENTITY_VERIFICATION_INCONCLUSIVE',
    'IDENTITY_VERIFICATION_EXPIRED',
    'IDENTITY_VERIFICATION_OUTDATED',
    'USER_KYC_REGULAR',
    'USER_KYC_LIGHT',
]
WEBHOOK_TIMEOUT = 15.0  # seconds


def _sdk_distribution():
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return 'unknown', None
    for dist in ('mangopay4-python-sdk', 'mangopaysdk'):
        try:
            return dist, version(dist)
        except PackageNotFoundError:
            continue
    return 'unknown', None


SDK_DIST, SDK_VERSION = _sdk_distribution()

# ---------------------------------------------------------------------------
# raw wire capture (the SDK parses dates and hides fields it does not model)

_last = {'response': None}


def _on_request_finished(sender=None, **kwargs):
    _last['response'] = kwargs.get('result')


request_finished.connect(_on_request_finished, weak=False)


def last_json():
    res = _last['response']
    if res is None:
        return None
    try:
        return res.json()
    except ValueError:
        return res.text


def last_summary():
    res = _last['response']
    if res is None:
        return 'no HTTP answer was received'
    body = res.text if len(res.text) <= 1500 else res.text[:1500] + '...'
    return 'last answer: HTTP %s %s %s' % (res.status_code, res.request.method if res.request else '', body)


# ---------------------------------------------------------------------------
# tiny step runner (same output contract as conformance.py)


class StepFailure(Exception):
    pass


_state = {'step': '(start)', 'count': 0}


def show(value):
    try:
        text = json.dumps(value, default=lambda o: getattr(o, '__dict__', str(o)), ensure_ascii=False)
    except Exception:
        text = repr(value)
    return text if len(text) <= 1500 else text[:1500] + '...'


def check(condition, message, *received):
    if not condition:
        if received:
            message = '%s; received %s' % (message, show(received[0]))
        raise StepFailure(message)


def step(name, fn):
    _state['step'] = name
    _state['count'] += 1
    try:
        detail = fn()
    except StepFailure as e:
        print('FAIL %s: %s' % (name, e))
        sys.exit(1)
    except APIError as e:
        print('FAIL %s: SDK raised %s (HTTP %s): %s' % (name, type(e).__name__, getattr(e, 'code', None),
                                                        show(getattr(e, 'content', None) or str(e))))
        sys.exit(1)
    except Exception as e:  # SDK crash while parsing an answer, DoesNotExist, ...
        print('FAIL %s: %s: %s (%s)' % (name, type(e).__name__, e, last_summary()))
        sys.exit(1)
    print('ok   %s%s' % (name, (' - %s' % detail) if detail else ''))
    sys.stdout.flush()


def is_unix_seconds(v):
    return isinstance(v, int) and not isinstance(v, bool) and 1000000000 < v < 100000000000


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def expect_api_error(call, status, error_type):
    """Run an SDK call that must fail with HTTP `status` and error `Type`; returns the body."""
    try:
        result = call()
    except APIError as e:
        body = e.content if isinstance(e.content, dict) else last_json()
        check(e.code == status, 'expected HTTP %s' % status, {'code': e.code, 'body': body})
        check(isinstance(body, dict) and body.get('Type') == error_type, 'expected error Type %s' % error_type, body)
        check(isinstance(body.get('Message'), str) and body['Message'], 'error body has no Message', body)
        check('errors' in body, 'error body has no "errors" key', body)
        return body
    raise StepFailure('expected HTTP %s %s, but the call succeeded (%r); %s'
                      % (status, error_type, result, last_summary()))


# ---------------------------------------------------------------------------
# webhook receiver: records every GET (path + query) and answers 200

_received = []
_cond = threading.Condition()


class _Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):  # noqa: N802
        parts = urllib.parse.urlsplit(self.path)
        hit = {'path': parts.path, 'query': dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
               'at': time.time()}
        with _cond:
            _received.append(hit)
            _cond.notify_all()
        body = b'ok'
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002
        pass


def start_receiver():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name='webhook-receiver', daemon=True)
    thread.start()
    return server


def _summary():
    last = ['%s?EventType=%s&RessourceId=%s' % (h['path'], h['query'].get('EventType'), h['query'].get('RessourceId'))
            for h in _received[-10:]]
    return '%d webhook(s) received so far; last: %s' % (len(_received), show(last))


def hook_path(event_type):
    return '/hooks/%s' % event_type


def wait_for_webhook(event_type, resource_id):
    def find():
        for h in _received:
            if h['query'].get('EventType') == event_type and h['query'].get('RessourceId') == resource_id:
                return h
        return None

    deadline = time.monotonic() + WEBHOOK_TIMEOUT
    with _cond:
        hit = find()
        while hit is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepFailure('no GET with EventType=%s&RessourceId=%s within %g s; %s'
                                  % (event_type, resource_id, WEBHOOK_TIMEOUT, _summary()))
            _cond.wait(left)
            hit = find()
    return hit


def expect_webhook(event_type, resource_id):
    hit = wait_for_webhook(event_type, resource_id)
    check(hit['path'] == hook_path(event_type), 'the webhook should go to the URL of the %s hook' % event_type, hit)
    date = hit['query'].get('Date', '')
    check(date.isdigit() and is_unix_seconds(int(date)), 'Date should be integer Unix seconds', hit['query'])
    check(abs(int(date) - time.time()) < 300, 'Date should be about now', hit['query'])
    return 'GET %s?EventType=%s&RessourceId=%s&Date=%s' % (hit['path'], event_type, resource_id, date)


# ---------------------------------------------------------------------------
# sandbox test helpers: plain HTTP with a bearer token of our own

_token = {}


def bearer():
    if 'value' not in _token:
        res = requests.post(BASE_URL + '/v2.01/oauth/token', auth=(CLIENT_ID, API_KEY),
                            data={'grant_type': 'client_credentials'}, timeout=15)
        check(res.status_code == 200, 'POST /v2.01/oauth/token should answer 200, got HTTP %s' % res.status_code,
              res.text)
        body = res.json()
        check(isinstance(body.get('access_token'), str), 'token answer should carry access_token', body)
        _token['value'] = body['access_token']
    return _token['value']


def helper(path, body=None):
    url = '%s/v2.01/%s/sandbox/%s' % (BASE_URL, CLIENT_ID, path)
    res = requests.post(url, json=body or {}, headers={'Authorization': 'Bearer ' + bearer()}, timeout=15)
    try:
        answer = res.json()
    except ValueError:
        answer = res.text
    check(res.status_code == 200, 'POST %s should answer 200, got HTTP %s' % (url, res.status_code), answer)
    return answer


# ---------------------------------------------------------------------------
# fixtures

RUN = secrets.token_hex(4)
BIRTHDAY = datetime.date(1975, 12, 21)
RETURN_URL = 'https://example.com/verity-return'


def address():
    return Address(address_line_1='1 Rue de la Paix', address_line_2='', city='Paris',
                   region='Ile-de-France', postal_code='75002', country='FR')


def natural_user(label, first, last):
    """Creates a natural OWNER; returns (user, raw Birthday of the answer)."""
    u = NaturalUser(first_name=first, last_name=last, email='%s.py.%s@example.com' % (label, RUN),
                    address=address(), birthday=BIRTHDAY, nationality='FR', country_of_residence='FR',
                    occupation='tester', income_range='3', terms_and_conditions_accepted=True,
                    user_category='OWNER', tag='verity-python-sandbox %s %s' % (RUN, label))
    u.save()
    raw = last_json()
    check(isinstance(u.id, str) and u.id.startswith('user_m_'), 'Id should look like user_m_<ULID>', raw)
    check(u.kyc_level == 'LIGHT', 'a new user should be LIGHT', u.kyc_level)
    check(is_int(raw.get('Birthday')), 'raw Birthday should be an integer', raw)
    return u, raw['Birthday']


def legal_user(label, legal_person_type, name, rep_first, rep_last):
    """Creates a legal OWNER; returns (user, raw LegalRepresentativeBirthday of the answer)."""
    u = LegalUser(name=name, email='%s.py.%s@example.com' % (label, RUN), legal_person_type=legal_person_type,
                  headquarters_address=address(), legal_representative_first_name=rep_first,
                  legal_representative_last_name=rep_last,
                  legal_representative_email='%s.rep.py.%s@example.com' % (label, RUN),
                  legal_representative_address=address(), legal_representative_birthday=BIRTHDAY,
                  legal_representative_nationality='FR', legal_representative_country_of_residence='FR',
                  company_number='123456789', terms_and_conditions_accepted=True, user_category='OWNER',
                  tag='verity-python-sandbox %s %s' % (RUN, label))
    u.save()
    raw = last_json()
    check(isinstance(u.id, str) and u.id.startswith('user_m_'), 'Id should look like user_m_<ULID>', raw)
    check(u.legal_person_type == legal_person_type, 'LegalPersonType should be %s' % legal_person_type, raw)
    check(u.kyc_level == 'LIGHT', 'a new user should be LIGHT', u.kyc_level)
    check(is_int(raw.get('LegalRepresentativeBirthday')), 'raw LegalRepresentativeBirthday should be an integer', raw)
    return u, raw['LegalRepresentativeBirthday']


def session_tag(label, directive=''):
    return 'verity python sandbox %s %s%s' % (RUN, label, (' ' + directive) if directive else '')


def create_session(user_id, tag):
    s = IdentityVerification(return_url=RETURN_URL, tag=tag).create(user_id)
    check(isinstance(s.get('id'), str) and s['id'].startswith('idnver_'), 'Id should look like idnver_<ULID>', s)
    check(s.get('status') == 'PENDING', 'a new session should be PENDING', s.get('status'))
    check(s.get('tag') == tag, 'Tag should echo %s' % tag, s.get('tag'))
    return s['id']


def view_session(session_id, status, user_id):
    s = IdentityVerification.get(session_id)
    raw = last_json()
    check(s.id == session_id, 'Id should match', s.id)
    check(s.status == status, 'Status should be %s' % status, s.status)
    check(s.user_id == user_id, 'UserId should be %s' % user_id, s.user_id)
    check(is_unix_seconds(raw.get('CreationDate')), 'raw CreationDate should be integer Unix seconds', raw)
    return s


def id_doc_data(first, last, birthdate, prefix=''):
    return {prefix + 'FIRST_NAME': first.upper(), prefix + 'LAST_NAME': last.upper(),
            prefix + 'BIRTHDATE': birthdate}


def check_checks(session, expected):
    """expected: [{'Type', 'CheckStatus', 'Reasons': [...]?, 'Data': {KEY: value} or []?}]"""
    checks = session.checks
    check(isinstance(checks, list), 'Checks should be a list', checks)
    types = [c.get('Type') if isinstance(c, dict) else c for c in checks]
    check(types == [e['Type'] for e in expected],
          'Checks should be, in order, %s' % ', '.join(e['Type'] for e in expected), types)
    for c, e in zip(checks, expected):
        t = c['Type']
        check(isinstance(c.get('CheckId'), str) and c['CheckId'].startswith('idnchc_'),
              '%s: CheckId should start with idnchc_' % t, c)
        check(c.get('CheckStatus') == e['CheckStatus'], '%s: CheckStatus should be %s' % (t, e['CheckStatus']), c)
        check(is_unix_seconds(c.get('CreationDate')), '%s: CreationDate should be integer Unix seconds' % t, c)
        check(is_unix_seconds(c.get('LastUpdate')), '%s: LastUpdate should be integer Unix seconds' % t, c)
        reasons = e.get('Reasons', [])
        got = c.get('Reasons')
        check(isinstance(got, list) and [(r.get('Type'), r.get('Value')) for r in got if isinstance(r, dict)]
              == [(r['Type'], r['Value']) for r in reasons] and len(got) == len(reasons),
              '%s: Reasons should be %s' % (t, show(reasons)), got)
        data = c.get('Data')
        check(isinstance(data, list) and all(isinstance(d, dict) and 'Type' in d and 'Value' in d for d in data),
              '%s: Data should be a list of {Type, Value}' % t, data)
        want = e.get('Data')
        if isinstance(want, list):
            check(data == [], '%s: Data should be []' % t, data)
        elif want:
            have = {d['Type']: d['Value'] for d in data}
            for k, v in want.items():
                check(k in have and have[k] == v, '%s: Data %s should be %s' % (t, k, show(v)), data)
    ids = [c['CheckId'] for c in checks]
    check(len(set(ids)) == len(ids), 'every CheckId should be distinct', ids)
    return '%s %s' % (session.status, ' '.join('%s:%s' % (c['Type'], c['CheckStatus']) for c in checks))


# ---------------------------------------------------------------------------
# the flow


def main():
    print('SDK %s==%s (module mangopay, package_version=%s) -> %s (client %s, run %s) sandbox flow'
          % (SDK_DIST, SDK_VERSION, mangopay.package_version, BASE_URL, CLIENT_ID, RUN))
    ctx = {}

    def start():
        ctx['receiver'] = start_receiver()
        return 'http://127.0.0.1:%d' % ctx['receiver'].server_address[1]

    step('start the webhook receiver (127.0.0.1, ephemeral port)', start)
    hook_base = 'http://127.0.0.1:%d' % ctx['receiver'].server_address[1]

    # 1. Hooks: one per EventType per client. A previous run may have left hooks pointing at its
    #    own (now gone) receiver: those are updated, the missing ones are created.
    existing = {}

    def list_hooks():
        page = Notification.all(page=1, per_page=100)
        body = last_json()
        check(isinstance(body, list), 'hooks list should be a JSON array', body)
        for h in page.data if hasattr(page, 'data') else page:
            existing[h.event_type] = h
        return '%d hook(s)' % len(existing)

    step('list the client hooks (Notification.all -> GET /hooks)', list_hooks)

    hook_tag = 'verity-python-sandbox %s' % RUN
    for event_type in EVENT_TYPES:
        url = hook_base + hook_path(event_type)
        old = existing.get(event_type)

        def register(event_type=event_type, url=url, old=old):
            if old is not None:
                old.url = url
                old.status = 'ENABLED'
                old.validity = 'VALID'
                old.tag = hook_tag
                old_id = old.id
                old.save()
                h = old
                check(h.id == old_id, 'Id should not change', h.id)
            else:
                h = Notification(event_type=event_type, url=url, tag=hook_tag)
                h.save()
            raw = last_json()
            check(isinstance(raw, dict), 'the answer should be a JSON object', raw)
            check(raw.get('EventType') == event_type, 'EventType should be %s' % event_type, raw)
            check(raw.get('Url') == url, 'Url should be %s' % url, raw)
            check(raw.get('Status') == 'ENABLED', 'Status should be ENABLED', raw)
            check(raw.get('Validity') == 'VALID', 'Validity should be VALID', raw)
            check(raw.get('Tag') == hook_tag, 'Tag should be %s' % hook_tag, raw)
            check(h.url == url and h.event_type == event_type, 'the SDK object should hold the hook', h.__dict__)
            return '%s %s' % (h.id, h.url)

        if old is not None:
            name = 'point the %s hook at the receiver (Notification.save -> PUT /hooks/{id})' % event_type
        else:
            name = 'register a %s hook (Notification(...).save -> POST /hooks)' % event_type
        step(name, register)

    def duplicate_hook():
        body = expect_api_error(lambda: Notification(event_type=EVENT_TYPES[0], url=hook_base + '/duplicate').save(),
                                400, 'param_error')
        check(isinstance(body.get('errors'), dict) and 'EventType' in body['errors'], 'errors should name EventType',
              body)
        return body['errors']['EventType']

    step('a second hook for the same EventType -> 400 param_error', duplicate_hook)

    # 2. Natural user, verity:accept -> VALIDATED, user REGULAR with names in capitals.
    acc = {'first': 'Zoé', 'last': 'Accept-Python'}

    def acc_user():
        ctx['acc_user'], ctx['acc_bday'] = natural_user('accept', acc['first'], acc['last'])
        return ctx['acc_user'].id

    step('create natural user for verity:accept', acc_user)

    def acc_session():
        ctx['acc_session'] = create_session(ctx['acc_user'].id, session_tag('accept', 'verity:accept'))
        return ctx['acc_session']

    step('create session with Tag verity:accept -> PENDING', acc_session)
    step('webhook IDENTITY_VERIFICATION_PENDING (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_PENDING', ctx['acc_session']))
    step('webhook IDENTITY_VERIFICATION_VALIDATED (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_VALIDATED', ctx['acc_session']))
    step('webhook USER_KYC_REGULAR (user)', lambda: expect_webhook('USER_KYC_REGULAR', ctx['acc_user'].id))

    def acc_view_session():
        s = view_session(ctx['acc_session'], 'VALIDATED', ctx['acc_user'].id)
        return check_checks(s, [
            {'Type': 'IDENTITY_DOCUMENT_VERIFICATION', 'CheckStatus': 'VALIDATED',
             'Data': id_doc_data(acc['first'], acc['last'], str(ctx['acc_bday']))},
            {'Type': 'IDV_NAME_MATCH_CHECK', 'CheckStatus': 'VALIDATED', 'Data': []},
            {'Type': 'IDV_AGE_CHECK', 'CheckStatus': 'VALIDATED', 'Data': []},
        ])

    step('view session -> VALIDATED with 3 validated checks', acc_view_session)

    def acc_view_user():
        u = NaturalUser.get(ctx['acc_user'].id)
        check(u.kyc_level == 'REGULAR', 'KYCLevel should be REGULAR', u.kyc_level)
        check(u.first_name == acc['first'].upper(), 'FirstName should be %s' % acc['first'].upper(), u.first_name)
        check(u.last_name == acc['last'].upper(), 'LastName should be %s' % acc['last'].upper(), u.last_name)
        return '%s %s %s' % (u.kyc_level, u.first_name, u.last_name)

    step('view user -> KYCLevel REGULAR, names in capitals', acc_view_user)

    # 3. Natural user, verity:refuse=FACE_MATCH_FAIL -> REFUSED, one check.
    fm = {'first': 'Faye', 'last': 'Facematch'}

    def fm_user():
        ctx['fm_user'], _ = natural_user('facematch', fm['first'], fm['last'])
        return ctx['fm_user'].id

    step('create natural user for verity:refuse=FACE_MATCH_FAIL', fm_user)

    def fm_session():
        ctx['fm_session'] = create_session(ctx['fm_user'].id, session_tag('facematch', 'verity:refuse=FACE_MATCH_FAIL'))
        return ctx['fm_session']

    step('create session with Tag verity:refuse=FACE_MATCH_FAIL -> PENDING', fm_session)
    step('webhook IDENTITY_VERIFICATION_FAILED (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_FAILED', ctx['fm_session']))

    refused_doc = {'Type': 'IDENTITY_DOCUMENT_VERIFICATION', 'CheckStatus': 'REFUSED',
                   'Reasons': [{'Type': 'FACE_MATCH_FAIL', 'Value': 'Document IDV has been refused by the provider'}],
                   'Data': {'FIRST_NAME': '', 'LAST_NAME': '', 'BIRTHDATE': None}}

    step('view session -> REFUSED, IDENTITY_DOCUMENT_VERIFICATION refused with FACE_MATCH_FAIL',
         lambda: check_checks(view_session(ctx['fm_session'], 'REFUSED', ctx['fm_user'].id), [refused_doc]))

    def fm_view_user():
        u = NaturalUser.get(ctx['fm_user'].id)
        check(u.kyc_level == 'LIGHT', 'KYCLevel should stay LIGHT', u.kyc_level)
        check(u.first_name == fm['first'] and u.last_name == fm['last'], 'names should not change',
              [u.first_name, u.last_name])
        return '%s %s %s' % (u.kyc_level, u.first_name, u.last_name)

    step('view user -> still LIGHT, names unchanged', fm_view_user)

    # 4. Natural user, verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK.
    nm = {'first': 'Nina', 'last': 'Namematch'}

    def nm_user():
        ctx['nm_user'], ctx['nm_bday'] = natural_user('namematch', nm['first'], nm['last'])
        return ctx['nm_user'].id

    step('create natural user for verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK', nm_user)

    def nm_session():
        ctx['nm_session'] = create_session(
            ctx['nm_user'].id, session_tag('namematch', 'verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK'))
        return ctx['nm_session']

    step('create session with Tag verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK -> PENDING', nm_session)
    step('webhook IDENTITY_VERIFICATION_FAILED (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_FAILED', ctx['nm_session']))
    step('view session -> REFUSED, IDV_NAME_MATCH_CHECK refused, the others validated',
         lambda: check_checks(view_session(ctx['nm_session'], 'REFUSED', ctx['nm_user'].id), [
             {'Type': 'IDENTITY_DOCUMENT_VERIFICATION', 'CheckStatus': 'VALIDATED',
              'Data': id_doc_data(nm['first'], nm['last'], str(ctx['nm_bday']))},
             {'Type': 'IDV_NAME_MATCH_CHECK', 'CheckStatus': 'REFUSED',
              'Reasons': [{'Type': 'DOCUMENT_NOT_ACCEPTED', 'Value': 'ID name mismatch with declared user data'}]},
             {'Type': 'IDV_AGE_CHECK', 'CheckStatus': 'VALIDATED'},
         ]))

    def light(cls, key):
        def run():
            u = cls.get(ctx[key].id)
            check(u.kyc_level == 'LIGHT', 'KYCLevel should be LIGHT', u.kyc_level)
            return u.kyc_level
        return run

    step('view user -> still LIGHT', light(NaturalUser, 'nm_user'))

    # 5. Legal BUSINESS user, verity:review -> REVIEW.
    rv = {'name': 'Verity Review Python Ltd %s' % RUN, 'first': 'Rita', 'last': 'Review'}

    def rv_user():
        ctx['rv_user'], ctx['rv_bday'] = legal_user('review', 'BUSINESS', rv['name'], rv['first'], rv['last'])
        return ctx['rv_user'].id

    step('create legal BUSINESS OWNER user for verity:review', rv_user)

    def rv_session():
        ctx['rv_session'] = create_session(ctx['rv_user'].id, session_tag('review', 'verity:review'))
        return ctx['rv_session']

    step('create session with Tag verity:review -> PENDING', rv_session)
    step('webhook IDENTITY_VERIFICATION_INCONCLUSIVE (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_INCONCLUSIVE', ctx['rv_session']))
    step('view session -> REVIEW, BUSINESS_VERIFICATION refused, no BUSINESS_INSIGHTS_MATCH',
         lambda: check_checks(view_session(ctx['rv_session'], 'REVIEW', ctx['rv_user'].id), [
             {'Type': 'BUSINESS_VERIFICATION', 'CheckStatus': 'REFUSED',
              'Reasons': [{'Type': 'DOCUMENT_NOT_ACCEPTED', 'Value': 'Document has been refused by the provider'}],
              'Data': {'COMPANY_NAME': rv['name'].upper(), 'COMPANY_NUMBER': '123456789'}},
             {'Type': 'IDENTITY_DOCUMENT_VERIFICATION', 'CheckStatus': 'VALIDATED',
              'Data': id_doc_data(rv['first'], rv['last'], str(ctx['rv_bday']), 'LEGAL_REPRESENTATIVE_')},
             {'Type': 'IDV_NAME_MATCH_CHECK', 'CheckStatus': 'VALIDATED'},
             {'Type': 'IDV_AGE_CHECK', 'CheckStatus': 'VALIDATED'},
         ]))
    step('view legal user -> still LIGHT', light(LegalUser, 'rv_user'))

    # 6. Legal SOLETRADER user, verity:accept -> VALIDATED, user REGULAR with names from the checks.
    st = {'name': 'Verity Soletrader Python %s' % RUN, 'first': 'Sol', 'last': 'Trader'}

    def st_user():
        ctx['st_user'], ctx['st_bday'] = legal_user('soletrader', 'SOLETRADER', st['name'], st['first'], st['last'])
        return ctx['st_user'].id

    step('create legal SOLETRADER OWNER user for verity:accept', st_user)

    def st_session():
        ctx['st_session'] = create_session(ctx['st_user'].id, session_tag('soletrader', 'verity:accept'))
        return ctx['st_session']

    step('create session with Tag verity:accept -> PENDING', st_session)
    step('webhook IDENTITY_VERIFICATION_VALIDATED (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_VALIDATED', ctx['st_session']))
    step('webhook USER_KYC_REGULAR (user)', lambda: expect_webhook('USER_KYC_REGULAR', ctx['st_user'].id))
    step('view session -> VALIDATED with 5 validated checks',
         lambda: check_checks(view_session(ctx['st_session'], 'VALIDATED', ctx['st_user'].id), [
             {'Type': 'BUSINESS_VERIFICATION', 'CheckStatus': 'VALIDATED',
              'Data': {'COMPANY_NAME': st['name'].upper(), 'COMPANY_NUMBER': '123456789'}},
             {'Type': 'IDENTITY_DOCUMENT_VERIFICATION', 'CheckStatus': 'VALIDATED',
              'Data': id_doc_data(st['first'], st['last'], str(ctx['st_bday']), 'LEGAL_REPRESENTATIVE_')},
             {'Type': 'IDV_NAME_MATCH_CHECK', 'CheckStatus': 'VALIDATED'},
             {'Type': 'IDV_AGE_CHECK', 'CheckStatus': 'VALIDATED'},
             {'Type': 'BUSINESS_NAME_MATCH', 'CheckStatus': 'VALIDATED'},
         ]))

    def st_view_user():
        u = LegalUser.get(ctx['st_user'].id)
        check(u.kyc_level == 'REGULAR', 'KYCLevel should be REGULAR', u.kyc_level)
        check(u.name == st['name'].upper(), 'Name should be %s' % st['name'].upper(), u.name)
        check(u.legal_representative_first_name == st['first'].upper(),
              'LegalRepresentativeFirstName should be %s' % st['first'].upper(), u.legal_representative_first_name)
        check(u.legal_representative_last_name == st['last'].upper(),
              'LegalRepresentativeLastName should be %s' % st['last'].upper(), u.legal_representative_last_name)
        return '%s %s / %s %s' % (u.kyc_level, u.name, u.legal_representative_first_name,
                                  u.legal_representative_last_name)

    step('view legal user -> REGULAR, Name = COMPANY_NAME, representative names in capitals', st_view_user)

    # 7. Directives refused at creation.
    def nr_user():
        ctx['nr_user'], _ = natural_user('naturalreview', 'Nora', 'Noreview')
        return ctx['nr_user'].id

    step('create natural user for verity:review', nr_user)

    def natural_review():
        body = expect_api_error(lambda: IdentityVerification(
            return_url=RETURN_URL, tag=session_tag('naturalreview', 'verity:review')).create(ctx['nr_user'].id),
            400, 'param_error')
        want = 'Sessions of natural users are never sent to review.'
        check(isinstance(body.get('errors'), dict) and body['errors'].get('Tag') == want,
              'errors.Tag should be %s' % show(want), body)
        return body['errors']['Tag']

    step('create session with Tag verity:review for a natural user -> 400 param_error (errors.Tag)', natural_review)

    def unknown_directive():
        body = expect_api_error(lambda: IdentityVerification(
            return_url=RETURN_URL, tag=session_tag('maybe', 'verity:maybe')).create(ctx['nr_user'].id),
            400, 'param_error')
        errors = body.get('errors')
        check(isinstance(errors, dict) and isinstance(errors.get('Tag'), str) and errors['Tag'],
              'errors.Tag should explain the unknown directive', body)
        return errors['Tag']

    step('create session with Tag verity:maybe -> 400 param_error (errors.Tag)', unknown_directive)

    def no_sessions():
        page = IdentityVerification.get_all(ctx['nr_user'].id)
        body = last_json()
        check(isinstance(body, list) and len(body) == 0 and len(page.data) == 0, 'the user should have no session',
              body)
        return '0 sessions'

    step('the refused creates left no session', no_sessions)

    # 8. Sandbox helper: force an outcome on a session without directive.
    def fo_setup():
        ctx['fo_user'], _ = natural_user('outcome', 'Otto', 'Outcome')
        ctx['fo_session'] = create_session(ctx['fo_user'].id, session_tag('outcome'))
        return '%s %s' % (ctx['fo_user'].id, ctx['fo_session'])

    step('create natural user and a session without directive (stays PENDING)', fo_setup)
    step('webhook IDENTITY_VERIFICATION_PENDING (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_PENDING', ctx['fo_session']))

    def force_outcome():
        s = helper('identity-verifications/%s/outcome' % ctx['fo_session'],
                   {'Status': 'REFUSED', 'RefusedReasonType': 'FACE_MATCH_FAIL',
                    'CheckType': 'IDENTITY_DOCUMENT_VERIFICATION'})
        check(isinstance(s, dict) and s.get('Id') == ctx['fo_session'] and s.get('Status') == 'REFUSED',
              'the helper should answer the REFUSED session', s)
        return s['Status']

    step('helper POST /sandbox/identity-verifications/{id}/outcome REFUSED FACE_MATCH_FAIL', force_outcome)
    step('webhook IDENTITY_VERIFICATION_FAILED (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_FAILED', ctx['fo_session']))
    step('view session -> REFUSED with the forced check',
         lambda: check_checks(view_session(ctx['fo_session'], 'REFUSED', ctx['fo_user'].id), [refused_doc]))

    # 9. Sandbox helper: expire a PENDING session.
    def ex_setup():
        ctx['ex_user'], _ = natural_user('expire', 'Ezra', 'Expire')
        ctx['ex_session'] = create_session(ctx['ex_user'].id, session_tag('expire'))
        return '%s %s' % (ctx['ex_user'].id, ctx['ex_session'])

    step('create natural user and a session without directive for expiry', ex_setup)

    def expire():
        s = helper('identity-verifications/%s/expire' % ctx['ex_session'])
        check(isinstance(s, dict) and s.get('Id') == ctx['ex_session'] and s.get('Status') == 'EXPIRED',
              'the helper should answer the EXPIRED session', s)
        return s['Status']

    step('helper POST /sandbox/identity-verifications/{id}/expire', expire)
    step('webhook IDENTITY_VERIFICATION_EXPIRED (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_EXPIRED', ctx['ex_session']))
    step('view session -> EXPIRED',
         lambda: view_session(ctx['ex_session'], 'EXPIRED', ctx['ex_user'].id).status)

    # 10. Sandbox helper: downgrade the validated natural user of step 2.
    def downgrade():
        u = helper('users/%s/downgrade' % ctx['acc_user'].id)
        check(isinstance(u, dict) and u.get('Id') == ctx['acc_user'].id and u.get('KYCLevel') == 'LIGHT',
              'the helper should answer the user, LIGHT', u)
        return u['KYCLevel']

    step('helper POST /sandbox/users/{id}/downgrade (the verity:accept user)', downgrade)
    step('webhook IDENTITY_VERIFICATION_OUTDATED (session)',
         lambda: expect_webhook('IDENTITY_VERIFICATION_OUTDATED', ctx['acc_session']))
    step('webhook USER_KYC_LIGHT (user)', lambda: expect_webhook('USER_KYC_LIGHT', ctx['acc_user'].id))
    step('view session -> OUT_OF_DATE',
         lambda: view_session(ctx['acc_session'], 'OUT_OF_DATE', ctx['acc_user'].id).status)
    step('view user -> KYCLevel LIGHT', light(NaturalUser, 'acc_user'))

    # 11. Nothing unexpected reached the receiver for the resources of this run.
    def nothing_unexpected():
        pending = 'IDENTITY_VERIFICATION_PENDING'
        ours = {
            ctx['acc_session']: {pending, 'IDENTITY_VERIFICATION_VALIDATED', 'IDENTITY_VERIFICATION_OUTDATED'},
            ctx['acc_user'].id: {'USER_KYC_REGULAR', 'USER_KYC_LIGHT'},
            ctx['fm_session']: {pending, 'IDENTITY_VERIFICATION_FAILED'},
            ctx['fm_user'].id: set(),
            ctx['nm_session']: {pending, 'IDENTITY_VERIFICATION_FAILED'},
            ctx['nm_user'].id: set(),
            ctx['rv_session']: {pending, 'IDENTITY_VERIFICATION_INCONCLUSIVE'},
            ctx['rv_user'].id: set(),
            ctx['st_session']: {pending, 'IDENTITY_VERIFICATION_VALIDATED'},
            ctx['st_user'].id: {'USER_KYC_REGULAR'},
            ctx['nr_user'].id: set(),
            ctx['fo_session']: {pending, 'IDENTITY_VERIFICATION_FAILED'},
            ctx['fo_user'].id: set(),
            ctx['ex_session']: {pending, 'IDENTITY_VERIFICATION_EXPIRED'},
            ctx['ex_user'].id: set(),
        }
        with _cond:
            hits = list(_received)
        mine = [h for h in hits if h['query'].get('RessourceId') in ours]
        unexpected = ['%s %s' % (h['query'].get('EventType'), h['query'].get('RessourceId')) for h in mine
                      if h['query'].get('EventType') not in ours[h['query']['RessourceId']]]
        check(not unexpected, 'only the expected event types should be sent', unexpected)
        return '%d webhook(s) for this run, %d in all' % (len(mine), len(hits))

    step('no unexpected webhooks for this run', nothing_unexpected)

    ctx['receiver'].shutdown()
    ctx['receiver'].server_close()
    print('PASS %s==%s sandbox flow: %d steps' % (SDK_DIST, SDK_VERSION, _state['count']))


if __name__ == '__main__':
    try:
        main()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001
        print('FAIL %s: harness error: %s: %s' % (_state['step'], type(exc).__name__, exc))
        sys.exit(1)
