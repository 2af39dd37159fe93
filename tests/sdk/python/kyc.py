#!/usr/bin/env python3
"""KYC documents, UBO declarations and the other user calls through the official Python SDK
(mangopay4-python-sdk), against Verity's sandbox. The SDK's own tests are not in its PyPI
packages, so this walks the same calls its documentation shows: a KYC document created, given a
page, submitted and decided by its sandbox Tag, consulted; a UBO declaration filled, submitted and
validated by its magic first name; a company number's format; a user's regulatory status.

    .venv4/bin/python kyc.py

Reads VERITY_BASE_URL, VERITY_CLIENT_ID and VERITY_API_KEY like sandbox.py (whose helpers it
uses); the server must run with VERITY_SANDBOX_DELAY=0s. Exits 0 when every step passed.
"""
from __future__ import annotations

import base64
import datetime
import struct
import sys
import time
import zlib

import sandbox as s  # configures the SDK from the environment
from mangopay.resources import (
    Document,
    DocumentConsult,
    LegalUser,
    Page,
    Ubo,
    UboDeclaration,
    UserDataFormatValidation,
)
from mangopay.utils import Address, Birthplace


def png(width=320, height=240):
    """A small PNG with some texture (a flat image is refused as blank)."""
    rows = b''.join(b'\x00' + bytes(((x * 7 + y * 3) % 256) for x in range(width * 3)) for y in range(height))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)

    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')


def wait_for(what, read, done, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        s.check(time.monotonic() < deadline, '%s did not happen within %g s' % (what, timeout), value)
        time.sleep(0.1)


def main():
    ctx = {}

    def users():
        ctx['natural'], _ = s.natural_user('kyc', 'Alex', 'Smith')
        ctx['legal'], _ = s.legal_user('ubo', 'BUSINESS', 'ACME UBO', 'Alex', 'Smith')
        return '%s, %s' % (ctx['natural'].id, ctx['legal'].id)

    s.step('create a natural and a business user', users)

    def document():
        doc = Document(type='IDENTITY_PROOF', user=ctx['natural'], tag='accept')
        doc.save()
        raw = s.last_json()
        s.check(doc.status == 'CREATED', 'a new document is CREATED', raw)
        s.check(raw.get('Flags') == [], 'Flags is an empty array', raw)
        ctx['doc'] = doc
        return doc.id

    s.step('Document(...).save -> POST /users/{Id}/KYC/documents', document)

    def page():
        Page(document=ctx['doc'], file=base64.b64encode(png()).decode(), user=ctx['natural']).save()
        return 'page added'

    s.step('Page(...).save -> POST .../KYC/documents/{Id}/pages', page)

    def submit():
        doc = ctx['doc']
        doc.status = 'VALIDATION_ASKED'
        doc.save()
        raw = s.last_json()
        s.check(raw.get('Status') == 'VALIDATION_ASKED', 'submitted', raw)
        return raw['Status']

    s.step('Document.save with Status VALIDATION_ASKED -> PUT', submit)

    def decided():
        doc = wait_for('the Tag accept deciding the document',
                       lambda: Document.get(ctx['doc'].id),
                       lambda d: d.status != 'VALIDATION_ASKED')
        s.check(doc.status == 'VALIDATED', 'the Tag accept validates the document', s.last_json())
        s.check(doc.processed_date is not None, 'ProcessedDate is set', s.last_json())
        return doc.status

    s.step('Document.get -> GET /KYC/documents/{Id}', decided)

    def consult():
        pages = DocumentConsult.get_kyc_document_consult(ctx['doc'].id)
        raw = s.last_json()
        s.check(isinstance(raw, list) and len(raw) == 1, 'one consult link per page', raw)
        res = s.requests.get(raw[0]['Url'], timeout=15)
        image = res.content.startswith(b'\x89PNG') or res.content.startswith(b'\xff\xd8\xff')
        s.check(res.status_code == 200 and image, 'the consult link serves the page', res.status_code)
        return '%d link(s)' % len(pages if isinstance(pages, list) else raw)

    s.step('DocumentConsult.get_kyc_document_consult -> POST /KYC/documents/{Id}/consult', consult)

    def declaration():
        d = UboDeclaration(user=ctx['legal'])
        d.save()
        raw = s.last_json()
        s.check(raw.get('Status') == 'CREATED', 'a new declaration is CREATED', raw)
        ctx['decl'] = d
        return d.id

    s.step('UboDeclaration(...).save -> POST /users/{Id}/kyc/ubodeclarations', declaration)

    def add_ubo():
        ubo = Ubo(first_name='AcceptUBO', last_name='Doe', nationality='FR',
                  address=Address(address_line_1='1 Rue de la Paix', city='Paris', postal_code='75002', country='FR'),
                  birthday=datetime.date(1975, 12, 21), birthplace=Birthplace(city='Paris', country='FR'),
                  user=ctx['legal'], ubo_declaration=ctx['decl'])
        ubo.save()
        raw = s.last_json()
        s.check(raw.get('FirstName') == 'AcceptUBO' and raw.get('IsActive') is True, 'the UBO as sent', raw)
        ctx['ubo'] = raw['Id']
        return raw['Id']

    s.step('Ubo(...).save -> POST .../ubodeclarations/{Id}/ubos', add_ubo)

    def submit_declaration():
        d = ctx['decl']
        d.status = 'VALIDATION_ASKED'
        d.save()
        raw = s.last_json()
        s.check(raw.get('Status') == 'VALIDATION_ASKED', 'submitted', raw)
        final = wait_for('AcceptUBO validating the declaration',
                         lambda: s.requests.get('%s/v2.01/%s/kyc/ubodeclarations/%s' % (s.BASE_URL, s.CLIENT_ID, d.id),
                                                headers={'Authorization': 'Bearer ' + s.bearer()}, timeout=15).json(),
                         lambda v: v.get('Status') != 'VALIDATION_ASKED')
        s.check(final.get('Status') == 'VALIDATED', 'AcceptUBO validates the declaration', final)
        return final['Status']

    s.step('UboDeclaration.save with Status VALIDATION_ASKED -> PUT, then VALIDATED', submit_declaration)

    def data_format():
        result = UserDataFormatValidation(company_number={'CompanyNumber': 'AB123456', 'CountryCode': 'IT'}).save()
        raw = s.last_json()
        s.check(raw.get('CompanyNumber', {}).get('IsValid') is True, 'an Italian REA number is valid', raw)
        return raw['CompanyNumber']['CompanyNumber']

    s.step('UserDataFormatValidation(...).save -> POST /users/data-formats/validation', data_format)

    def regulatory():
        status = ctx['natural'].get_regulatory()
        raw = s.last_json()
        s.check(raw.get('ScopeBlocked') == {'Inflows': False, 'Outflows': False}, 'nothing is blocked', raw)
        return status

    s.step('NaturalUser.get_regulatory -> GET /users/{Id}/Regulatory', regulatory)
    print('PASS %s==%s KYC documents, UBO declarations and user calls: %d steps'
          % (s.SDK_DIST, s.SDK_VERSION, s._state['count']))


if __name__ == '__main__':
    try:
        main()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001
        print('FAIL %s: harness error: %s: %s' % (s._state['step'], type(exc).__name__, exc))
        sys.exit(1)
