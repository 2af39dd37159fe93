#!/usr/bin/env python3
"""SDK conformance run for the official Mangopay Python SDK against a running Verity server.

Works with both distributions that install the ``mangopay`` package:

    .venv4/bin/python conformance.py    # mangopay4-python-sdk==4.2.0
    .venv3/bin/python conformance.py    # mangopaysdk==3.51.1 (older name)

Reads VERITY_BASE_URL (no trailing slash, no /v2.01), VERITY_CLIENT_ID and VERITY_API_KEY.
Prints one line per step; exits 0 when every step passed, 1 on the first failure (naming the
step and what the server answered), 2 on bad usage.
"""
from __future__ import annotations

import datetime
import json
import logging
import os
import secrets
import sys
import uuid


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

# The SDK logs every non-2xx answer at ERROR level; the expected 409/404 answers are
# checked and reported by this script instead.
logging.getLogger('mangopay').addHandler(logging.NullHandler())

from mangopay import get_default_handler  # noqa: E402
from mangopay.exceptions import APIError  # noqa: E402
from mangopay.resources import (  # noqa: E402
    IdempotencyResponse,
    IdentityVerification,
    LegalUser,
    LegalUserSca,
    NaturalUser,
    NaturalUserSca,
    User,
)
from mangopay.signals import request_finished  # noqa: E402
from mangopay.utils import Address, LegalRepresentative  # noqa: E402


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
# raw wire capture: the SDK parses dates into datetime objects and hides headers,
# so keep the last raw HTTP answer to check the wire format itself.

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
    return 'last answer: HTTP %s %s %s' % (res.status_code, res.request.method if res.request else '',
                                          body)


# ---------------------------------------------------------------------------
# tiny step runner


class StepFailure(Exception):
    pass


_state = {'step': '(start)', 'count': 0}


def show(value):
    try:
        text = json.dumps(value, default=lambda o: getattr(o, '__dict__', str(o)))
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


def raw_expect(keys_int=(), keys_int_or_null=()):
    """Check integer Unix-second dates in the last raw JSON answer (object answers only)."""
    body = last_json()
    check(isinstance(body, dict), 'the answer should be a JSON object', body)
    for k in keys_int:
        check(is_unix_seconds(body.get(k)), 'raw %s should be integer Unix seconds' % k, body.get(k))
    for k in keys_int_or_null:
        v = body.get(k)
        check(v is None or is_unix_seconds(v), 'raw %s should be integer Unix seconds or null' % k, v)
    return body


# ---------------------------------------------------------------------------
# fixtures

RUN = secrets.token_hex(4)
BIRTHDAY = datetime.date(1975, 12, 21)
BIRTHDAY_TS = 188352000  # BIRTHDAY as the SDK sends it (midnight UTC)
RETURN_URL = 'https://example.com/verity-return'
UNKNOWN_SESSION_ID = 'idnver_01J' + '0' * 22 + 'Z'  # well-formed, never issued


def address():
    return Address(address_line_1='1 Rue de la Paix', address_line_2='', city='Paris',
                   region='Ile-de-France', postal_code='75002', country='FR')


def idempotency_key():
    return 'verity-' + uuid.uuid4().hex[:28]  # 35 chars of [A-Za-z0-9-]


def check_user(u, person_type, email=None, user_status=None):
    check(isinstance(u.id, str) and u.id.startswith('user_m_'), 'Id should look like user_m_<ULID>', u.id)
    check(u.person_type == person_type, 'PersonType should be %s' % person_type, u.person_type)
    check(u.user_category == 'OWNER', 'UserCategory should be OWNER', u.user_category)
    check(u.terms_and_conditions_accepted is True, 'TermsAndConditionsAccepted should be true',
          u.terms_and_conditions_accepted)
    check(u.kyc_level == 'LIGHT', 'KYCLevel of a new user should be LIGHT', u.kyc_level)
    if email is not None:
        check(u.email == email, 'Email should echo %s' % email, u.email)
    if user_status is not None:
        check(u.user_status == user_status, 'UserStatus should be %s' % user_status, u.user_status)
    raw_expect(keys_int=('CreationDate',))


def check_session_dict(s, tag):
    """`IdentityVerification.create()` returns a dict of parsed fields."""
    check(isinstance(s.get('id'), str) and s['id'].startswith('idnver_'), 'Id should look like idnver_<ULID>', s)
    check(s.get('status') == 'PENDING', 'Status should be PENDING', s.get('status'))
    check(isinstance(s.get('hosted_url'), str) and s['hosted_url'].startswith(BASE_URL),
          'HostedUrl should start with %s' % BASE_URL, s.get('hosted_url'))
    check(s.get('return_url') == RETURN_URL, 'ReturnUrl should echo %s' % RETURN_URL, s.get('return_url'))
    check(s.get('tag') == tag, 'Tag should echo %s' % tag, s.get('tag'))
    check(isinstance(s.get('creation_date'), datetime.datetime), 'CreationDate should parse as a date',
          s.get('creation_date'))
    raw_expect(keys_int=('CreationDate',))


# ---------------------------------------------------------------------------
# the flow


def main():
    print('SDK %s==%s (module mangopay, package_version=%s) -> %s (client %s, run %s)'
          % (SDK_DIST, SDK_VERSION, mangopay.package_version, BASE_URL, CLIENT_ID, RUN))

    handler = get_default_handler()
    ctx = {}

    # 1. Users, legacy endpoints. The first call fetches the OAuth token implicitly.
    def create_natural():
        email = 'jane.py.%s@example.com' % RUN
        u = NaturalUser(first_name='Jane', last_name='Python', email=email, address=address(),
                        birthday=BIRTHDAY, nationality='FR', country_of_residence='FR',
                        occupation='tester', income_range='3', terms_and_conditions_accepted=True,
                        user_category='OWNER', tag='verity-python-conformance %s' % RUN)
        env_key = handler.auth_manager.get_evn_key()
        try:
            u.save()
        except APIError as e:
            token = _stored_token(handler, env_key)
            if not token:
                raise StepFailure('token request (POST /v2.01/oauth/token) failed: HTTP %s %s'
                                  % (getattr(e, 'code', None), show(getattr(e, 'content', None) or str(e))))
            raise
        token = _stored_token(handler, env_key)
        check(token is not None, 'no OAuth token was stored after the first call '
                                 '(the token answer must be HTTP 200 with access_token/token_type/expires_in)')
        check(str(token.get('token_type', '')).lower() == 'bearer', 'token_type should be Bearer', token)
        check(int(token.get('expires_in', 0)) > 60, 'expires_in should be > 60 seconds', token)
        check_user(u, 'NATURAL', email=email)
        check(u.first_name == 'Jane' and u.last_name == 'Python', 'names should echo', [u.first_name, u.last_name])
        check(u.birthday == BIRTHDAY, 'Birthday should echo %s' % BIRTHDAY_TS, str(u.birthday))
        check(u.address is not None and u.address.city == 'Paris', 'Address should echo', str(u.address))
        ctx['natural'] = u
        return u.id

    step('create natural OWNER user (legacy NaturalUser.save -> POST /users/natural, token implicit)',
         create_natural)

    def create_legal():
        email = 'company.py.%s@example.com' % RUN
        u = LegalUser(name='Verity Python Ltd %s' % RUN, email=email, legal_person_type='BUSINESS',
                      headquarters_address=address(),
                      legal_representative_first_name='John', legal_representative_last_name='Python',
                      legal_representative_email='john.py.%s@example.com' % RUN,
                      legal_representative_address=address(), legal_representative_birthday=BIRTHDAY,
                      legal_representative_nationality='FR', legal_representative_country_of_residence='FR',
                      company_number='123456789', terms_and_conditions_accepted=True, user_category='OWNER',
                      tag='verity-python-conformance %s' % RUN)
        u.save()
        check_user(u, 'LEGAL', email=email)
        check(u.legal_person_type == 'BUSINESS', 'LegalPersonType should be BUSINESS', u.legal_person_type)
        check(u.company_number == '123456789', 'CompanyNumber should echo', u.company_number)
        check(u.legal_representative_first_name == 'John', 'LegalRepresentativeFirstName should echo',
              u.legal_representative_first_name)
        check(u.legal_representative_birthday == BIRTHDAY, 'LegalRepresentativeBirthday should echo',
              str(u.legal_representative_birthday))
        ctx['legal'] = u
        return u.id

    step('create legal OWNER user (legacy LegalUser.save -> POST /users/legal, BUSINESS)', create_legal)

    # 2. Users, SCA endpoints.
    def sca_natural(email):
        return NaturalUserSca(first_name='Alice', last_name='Sca', email=email, address=address(),
                              birthday=BIRTHDAY, nationality='FR', country_of_residence='FR',
                              occupation='tester', income_range='2', phone_number='+33611111111',
                              phone_number_country='FR', terms_and_conditions_accepted=True,
                              user_category='OWNER', sca_context='USER_PRESENT',
                              tag='verity-python-conformance %s' % RUN)

    def create_sca_natural_accept():
        email = 'alice.accept.py.%s@example.com' % RUN
        u = sca_natural(email)
        u.save()
        check_user(u, 'NATURAL', email=email, user_status='ACTIVE')
        check(u.pending_user_action is None, 'PendingUserAction should be null for an "accept" email',
              str(u.pending_user_action))
        check(u.phone_number == '+33611111111', 'PhoneNumber should echo', u.phone_number)
        ctx['sca_natural'] = u
        return '%s %s' % (u.id, u.user_status)

    step('create natural OWNER user (NaturalUserSca.save -> POST /sca/users/natural, email contains "accept")',
         create_sca_natural_accept)

    def create_sca_natural_pending():
        email = 'alice.py.%s@example.com' % RUN
        u = sca_natural(email)
        u.save()
        check_user(u, 'NATURAL', email=email, user_status='PENDING_USER_ACTION')
        pua = u.pending_user_action
        check(pua is not None and isinstance(pua.redirect_url, str) and pua.redirect_url.startswith('http'),
              'PendingUserAction.RedirectUrl should be a URL', last_json())
        ctx['sca_natural_pending'] = u
        return '%s %s' % (u.id, u.user_status)

    step('create natural OWNER user (SCA, USER_PRESENT, plain email) -> PENDING_USER_ACTION',
         create_sca_natural_pending)

    def create_sca_legal():
        email = 'company.accept.py.%s@example.com' % RUN
        rep_email = 'bob.accept.py.%s@example.com' % RUN
        rep = LegalRepresentative(first_name='Bob', last_name='Sca', birthday=BIRTHDAY_TS, nationality='FR',
                                  country_of_residence='FR', email=rep_email, phone_number='+33611111111',
                                  phone_number_country='FR')
        u = LegalUserSca(name='Verity Python SCA SAS %s' % RUN, email=email, legal_person_type='BUSINESS',
                         legal_representative=rep, headquarters_address=address(),
                         legal_representative_address=address(), company_number='123456789',
                         terms_and_conditions_accepted=True, user_category='OWNER', sca_context='USER_PRESENT',
                         tag='verity-python-conformance %s' % RUN)
        u.save()
        check_user(u, 'LEGAL', email=email, user_status='ACTIVE')
        r = u.legal_representative
        check(r is not None and r.first_name == 'Bob' and r.last_name == 'Sca',
              'LegalRepresentative should echo FirstName/LastName', last_json())
        check(r.birthday == BIRTHDAY_TS, 'LegalRepresentative.Birthday should echo', r.birthday)
        check(r.email == rep_email, 'LegalRepresentative.Email should echo', r.email)
        check(u.company_number == '123456789', 'CompanyNumber should echo', u.company_number)
        ctx['sca_legal'] = u
        return '%s %s' % (u.id, u.user_status)

    step('create legal OWNER user (LegalUserSca.save -> POST /sca/users/legal, BUSINESS)', create_sca_legal)

    # 3. Users, view them back.
    def view_user_legacy():
        n = ctx['natural']
        u = User.get(n.id)
        check(isinstance(u, (NaturalUser, NaturalUserSca)), 'User.get should cast to a natural user class',
              type(u).__name__)
        check(u.id == n.id, 'Id should match', u.id)
        check(u.email == n.email, 'Email should match', u.email)
        check(u.user_category == 'OWNER', 'UserCategory should be OWNER', u.user_category)
        return '%s as %s' % (u.id, type(u).__name__)

    step('view natural user (User.get -> GET /users/{id})', view_user_legacy)

    def view_natural_legacy():
        n = ctx['natural']
        u = NaturalUser.get(n.id)
        check(u.id == n.id, 'Id should match', u.id)
        check(u.first_name == 'Jane' and u.birthday == BIRTHDAY, 'FirstName/Birthday should match', last_json())
        return u.id

    step('view natural user (NaturalUser.get -> GET /users/natural/{id})', view_natural_legacy)

    def view_legal_legacy():
        lg = ctx['legal']
        u = LegalUser.get(lg.id)
        check(u.id == lg.id, 'Id should match', u.id)
        check(u.name == lg.name, 'Name should match', u.name)
        check(u.legal_representative_email == lg.legal_representative_email,
              'LegalRepresentativeEmail should match', u.legal_representative_email)
        return u.id

    step('view legal user (LegalUser.get -> GET /users/legal/{id})', view_legal_legacy)

    def view_sca():
        n = ctx['sca_natural']
        u = User.get_sca(n.id)
        check(u.id == n.id, 'Id should match', u.id)
        check(u.user_status == 'ACTIVE', 'UserStatus should be ACTIVE', u.user_status)
        body = last_json()
        check(isinstance(body, dict) and 'PendingUserAction' in body,
              'SCA view should carry a PendingUserAction key', body)
        return '%s as %s' % (u.id, type(u).__name__)

    step('view SCA user (User.get_sca -> GET /sca/users/{id})', view_sca)

    def view_sca_natural():
        n = ctx['sca_natural_pending']
        u = NaturalUserSca.get(n.id)
        check(u.id == n.id, 'Id should match', u.id)
        check(u.user_status == 'PENDING_USER_ACTION', 'UserStatus should be PENDING_USER_ACTION', u.user_status)
        return u.id

    step('view SCA natural user (NaturalUserSca.get -> GET /sca/users/natural/{id})', view_sca_natural)

    def view_sca_legal():
        lg = ctx['sca_legal']
        u = LegalUserSca.get(lg.id)
        check(u.id == lg.id, 'Id should match', u.id)
        check(u.legal_representative is not None and u.legal_representative.first_name == 'Bob',
              'LegalRepresentative object should be returned', last_json())
        return u.id

    step('view SCA legal user (LegalUserSca.get -> GET /sca/users/legal/{id})', view_sca_legal)

    # 4. IDV sessions.
    tag1 = 'verity python %s #1' % RUN

    def create_session1():
        s = IdentityVerification(return_url=RETURN_URL, tag=tag1).create(ctx['natural'].id)
        check_session_dict(s, tag1)
        ctx['s1'] = s
        return '%s %s' % (s['id'], s['status'])

    step('create IDV session (IdentityVerification(...).create(user_id))', create_session1)

    def view_session1():
        s1 = ctx['s1']
        s = IdentityVerification.get(s1['id'])
        check(s.id == s1['id'], 'Id should match', s.id)
        check(s.status == 'PENDING', 'Status should be PENDING', s.status)
        check(s.hosted_url == s1['hosted_url'], 'HostedUrl should equal the one returned on create', s.hosted_url)
        check(s.return_url == RETURN_URL, 'ReturnUrl should echo', s.return_url)
        check(s.tag == tag1, 'Tag should echo', s.tag)
        check(s.user_id == ctx['natural'].id, 'UserId should be %s' % ctx['natural'].id, s.user_id)
        check(isinstance(s.checks, list), 'Checks should be a list', s.checks)
        raw_expect(keys_int=('CreationDate',), keys_int_or_null=('LastUpdate',))
        extra = ''
        if 'pscs' in IdentityVerification._meta.fields:
            check(s.pscs is None or isinstance(s.pscs, list), 'PSCs should be a list or absent', s.pscs)
            extra = ' PSCs=%s' % ('absent' if s.pscs is None else len(s.pscs))
        return '%s %s UserId=%s%s' % (s.id, s.status, s.user_id, extra)

    step('view IDV session (IdentityVerification.get)', view_session1)

    if 'pscs' not in IdentityVerification._meta.fields:
        print('skip PSCs field on the session: not modelled by %s %s' % (SDK_DIST, SDK_VERSION))

    tag2 = 'verity python %s #2' % RUN

    def create_session2():
        s = IdentityVerification(return_url=RETURN_URL, tag=tag2).create(ctx['natural'].id)
        check_session_dict(s, tag2)
        check(s['id'] != ctx['s1']['id'], 'a second create should give a new Id', s['id'])
        check(s['hosted_url'] != ctx['s1']['hosted_url'], 'each session should get its own HostedUrl',
              s['hosted_url'])
        ctx['s2'] = s
        return s['id']

    step('create a second IDV session for the same user', create_session2)

    def list_all():
        page = IdentityVerification.get_all(ctx['natural'].id)
        body = last_json()
        check(isinstance(body, list), 'list body should be a JSON array', body)
        ids = sorted(s.id for s in page.data)
        want = sorted([ctx['s1']['id'], ctx['s2']['id']])
        check(ids == want, 'list should hold exactly %s' % want, ids)
        for s in body:
            check(s.get('Status') == 'PENDING', 'listed Status should be PENDING', s)
            check(is_unix_seconds(s.get('CreationDate')), 'listed CreationDate should be integer Unix seconds', s)
        check(str(page.total_items) == '2', 'X-Number-Of-Items should be 2', page.total_items)
        check(str(page.total_pages) == '1', 'X-Number-Of-Pages should be 1 with the default per_page',
              page.total_pages)
        return '%d items, total_pages=%s total_items=%s' % (len(page), page.total_pages, page.total_items)

    step('list IDV sessions (IdentityVerification.get_all, default paging)', list_all)

    def list_paged():
        seen = []
        for n in (1, 2):
            page = IdentityVerification.get_all(ctx['natural'].id, page=n, per_page=1)
            check(len(page.data) == 1, 'page %d should hold 1 item' % n, last_json())
            check(str(page.total_pages) == '2', 'page %d: X-Number-Of-Pages should be 2' % n, page.total_pages)
            check(str(page.total_items) == '2', 'page %d: X-Number-Of-Items should be 2' % n, page.total_items)
            seen.append(page.data[0].id)
        check(seen[0] != seen[1] and set(seen) == {ctx['s1']['id'], ctx['s2']['id']},
              'pages 1 and 2 should hold the two different sessions', seen)
        return 'pages=2 items=2'

    step('list IDV sessions page=N per_page=1 (Page.total_pages / total_items)', list_paged)

    legal_tag = 'verity python %s legal' % RUN

    def create_legal_session():
        s = IdentityVerification(return_url=RETURN_URL, tag=legal_tag).create(ctx['legal'].id)
        check_session_dict(s, legal_tag)
        return s['id']

    step('create IDV session for the legal OWNER user', create_legal_session)

    # 5. Idempotency.
    key = idempotency_key()
    idem_tag = 'verity python %s idempotent' % RUN

    def create_idempotent():
        s = IdentityVerification(return_url=RETURN_URL, tag=idem_tag).create(ctx['sca_natural'].id,
                                                                               idempotency_key=key)
        check_session_dict(s, idem_tag)
        ctx['idem'] = s
        return '%s key=%s' % (s['id'], key)

    step('create IDV session with idempotency_key', create_idempotent)

    def create_conflict():
        try:
            s = IdentityVerification(return_url=RETURN_URL, tag=idem_tag).create(ctx['sca_natural'].id,
                                                                                   idempotency_key=key)
        except APIError as e:
            check(e.code == 409, 'expected HTTP 409', {'code': e.code, 'body': e.content})
            body = e.content or {}
            check(isinstance(body, dict) and body.get('Type') == 'idempotent_creation_conflict',
                  'expected error Type idempotent_creation_conflict', body)
            check('errors' in body and isinstance(body.get('Message'), str), 'error body shape', body)
            return body['Type']
        raise StepFailure('expected HTTP 409 idempotent_creation_conflict, but the create succeeded (%r); %s'
                          % (s, last_summary()))

    step('repeat the create with the same key -> 409 idempotent_creation_conflict', create_conflict)

    def fetch_response():
        r = IdempotencyResponse.get(key)
        body = last_json()
        check(isinstance(r.resource, dict), 'Resource should be the original response body', body)
        check(r.resource.get('Id') == ctx['idem']['id'], 'Resource.Id should be %s' % ctx['idem']['id'], r.resource)
        check(str(r.status) == '200', 'StatusCode should be 200', r.status)
        return 'StatusCode=%s Resource.Id=%s' % (r.status, r.resource.get('Id'))

    step('fetch the stored response (IdempotencyResponse.get -> GET /responses//{key})', fetch_response)

    # 6. Errors.
    def unknown_session():
        try:
            got = IdentityVerification.get(UNKNOWN_SESSION_ID)
        except IdentityVerification.DoesNotExist:
            res = _last['response']
            body = last_json()
            check(res is not None and res.status_code == 404, 'expected HTTP 404', last_summary())
            check(isinstance(body, dict) and body.get('Type') == 'ressource_not_found',
                  'expected error Type ressource_not_found', body)
            check(isinstance(body.get('errors'), dict), 'a 404 body needs an errors object', body)
            return '%s raised, Type=%s' % (IdentityVerification.DoesNotExist.__name__, body['Type'])
        raise StepFailure('expected IdentityVerificationDoesNotExist (404 with an "errors" object), got %r; %s'
                          % (got, last_summary()))

    step('view an unknown IDV session -> 404 ressource_not_found (DoesNotExist)', unknown_session)

    limits = handler.get_rate_limits() or []
    print('info rate limits seen on the last answer: %d bucket(s)' % len(limits))
    print('PASS %s==%s: %d steps' % (SDK_DIST, SDK_VERSION, _state['count']))


def _stored_token(handler, env_key):
    try:
        return handler.auth_manager.storage_strategy.get(env_key)
    except KeyError:
        return None


if __name__ == '__main__':
    try:
        main()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001
        print('FAIL %s: harness error: %s: %s' % (_state['step'], type(exc).__name__, exc))
        sys.exit(1)
