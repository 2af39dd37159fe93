#!/usr/bin/env node
'use strict';

// Sandbox flow: drives an official Mangopay Node SDK (unmodified) through Verity's scripted
// sandbox outcomes (Tag directives and the sandbox test helpers) and checks the real webhooks
// that Verity sends to a receiver started by this script.
//
//   VERITY_BASE_URL=http://127.0.0.1:8080 VERITY_CLIENT_ID=... VERITY_API_KEY=... \
//     node sandbox.js mangopay4-nodejs-sdk      (or mangopay2-nodejs-sdk)
//
// The client must be a sandbox client, and the server must be able to reach 127.0.0.1 (the
// receiver listens there on an ephemeral port). The hooks of the client are pointed at this
// receiver, so two sandbox runs must not share one client at the same time.
//
// Prints one line per step; exits 0 when every step passed, 1 on the first failure (the
// message names the step and shows what the server answered), 2 on bad usage.

const crypto = require('crypto');
const http = require('http');

const SUPPORTED = ['mangopay4-nodejs-sdk', 'mangopay2-nodejs-sdk'];
const STEP_TIMEOUT_MS = 20000;
const WEBHOOK_TIMEOUT_MS = 15000;

const EVENT_TYPES = [
    'IDENTITY_VERIFICATION_PENDING',
    'IDENTITY_VERIFICATION_VALIDATED',
    'IDENTITY_VERIFICATION_FAILED',
    'IDENTITY_VERIFICATION_INCONCLUSIVE',
    'IDENTITY_VERIFICATION_EXPIRED',
    'IDENTITY_VERIFICATION_OUTDATED',
    'USER_KYC_REGULAR',
    'USER_KYC_LIGHT',
];

const pkgName = process.argv[2];
if (!SUPPORTED.includes(pkgName)) {
    console.error(`usage: node sandbox.js <${SUPPORTED.join('|')}>`);
    process.exit(2);
}

function requireEnv(name) {
    const value = process.env[name];
    if (!value) {
        console.error(`missing environment variable ${name}`);
        process.exit(2);
    }
    return value;
}

const BASE_URL = requireEnv('VERITY_BASE_URL').replace(/\/+$/, '');
const CLIENT_ID = requireEnv('VERITY_CLIENT_ID');
const API_KEY = requireEnv('VERITY_API_KEY');

const Mangopay = require(pkgName);
const sdkVersion = require(`${pkgName}/package.json`).version;

const api = new Mangopay({
    clientId: CLIENT_ID,
    clientApiKey: API_KEY,
    baseUrl: BASE_URL,
    connectionTimeout: 15000,
    responseTimeout: 15000,
    // Rejections are reported by this script with the step name; keep stderr quiet.
    errorHandler: function () {},
});
const models = api.models;

// ---------------------------------------------------------------------------
// tiny step runner (same output contract as conformance.js)

let currentStep = '(start)';
let stepCount = 0;

class StepFailure extends Error {}

function show(value) {
    if (value === undefined) return 'undefined';
    if (typeof value === 'string') return JSON.stringify(value);
    try {
        const seen = new WeakSet();
        const text = JSON.stringify(value, (key, v) => {
            if (key === 'data' || key === 'request' || key === 'config') return undefined;
            if (v && typeof v === 'object') {
                if (seen.has(v)) return '[circular]';
                seen.add(v);
            }
            return v;
        });
        return text.length > 1500 ? text.slice(0, 1500) + '...' : text;
    } catch (e) {
        return String(value);
    }
}

function describeRejection(err) {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    if (err && typeof err === 'object' && 'status' in err && 'body' in err) {
        return `HTTP ${err.status} ${show(err.body)}`;
    }
    return show(err);
}

function fail(message) {
    throw new StepFailure(message);
}

function check(condition, message, received) {
    if (!condition) {
        fail(arguments.length >= 3 ? `${message}; received ${show(received)}` : message);
    }
}

function isUnixSeconds(v) {
    return Number.isInteger(v) && v > 1000000000 && v < 100000000000;
}

function withTimeout(promise) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new StepFailure(`no answer within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    });
    return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

async function step(name, fn) {
    currentStep = name;
    stepCount += 1;
    let detail;
    try {
        detail = await withTimeout(fn());
    } catch (err) {
        const why = err instanceof StepFailure ? err.message : `SDK call rejected: ${describeRejection(err)}`;
        console.log(`FAIL ${name}: ${why}`);
        process.exit(1);
    }
    console.log(`ok   ${name}${detail ? ' - ' + detail : ''}`);
}

// Expect an SDK call (made with resolveWithFullResponse) to reject with an API error.
async function expectApiError(promise, status, type) {
    let response;
    try {
        response = await promise;
    } catch (err) {
        check(err && typeof err === 'object' && 'status' in err,
            `expected an HTTP ${status} error response`, err);
        check(err.status === status, `expected HTTP ${status}, got HTTP ${err.status}`, err.body);
        const body = err.body || {};
        check(body.Type === type, `expected error Type ${type}`, body);
        check(typeof body.Message === 'string' && body.Message.length > 0, 'error body has no Message', body);
        check('errors' in body, 'error body has no "errors" key', body);
        return body;
    }
    fail(`expected HTTP ${status} ${type}, but the call succeeded with HTTP ${response && response.status}: ${show(response && response.body)}`);
}

process.on('unhandledRejection', (reason) => {
    console.log(`FAIL ${currentStep}: unhandled error inside the SDK (server unreachable?): ${describeRejection(reason)}`);
    process.exit(1);
});

// ---------------------------------------------------------------------------
// webhook receiver: records every GET (path + query) and answers 200

const received = []; // {path, query: {..}, at}
const waiters = new Set(); // {predicate, resolve}

function startReceiver() {
    return new Promise((resolve, reject) => {
        const server = http.createServer((req, res) => {
            const url = new URL(req.url, 'http://receiver');
            if (req.method === 'GET') {
                const hit = { path: url.pathname, query: Object.fromEntries(url.searchParams), at: Date.now() };
                received.push(hit);
                for (const w of Array.from(waiters)) {
                    if (w.predicate(hit)) {
                        waiters.delete(w);
                        w.resolve(hit);
                    }
                }
            }
            req.resume();
            res.writeHead(200, { 'Content-Type': 'text/plain' });
            res.end('ok');
        });
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            server.unref(); // do not keep the process alive at the end
            resolve(server);
        });
    });
}

function matches(eventType, resourceId) {
    return (hit) => hit.query.EventType === eventType && hit.query.RessourceId === resourceId;
}

function receivedSummary() {
    const last = received.slice(-10).map((h) => `${h.path}?EventType=${h.query.EventType}&RessourceId=${h.query.RessourceId}`);
    return `${received.length} webhook(s) received so far; last: ${show(last)}`;
}

// Wait for the webhook EventType=eventType&RessourceId=resourceId (already received or to come).
function waitForWebhook(eventType, resourceId) {
    const predicate = matches(eventType, resourceId);
    const already = received.find(predicate);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            if (waiters.delete(waiter)) {
                reject(new StepFailure(`no GET with EventType=${eventType}&RessourceId=${resourceId} within ` +
                    `${WEBHOOK_TIMEOUT_MS} ms; ${receivedSummary()}`));
            }
        }, WEBHOOK_TIMEOUT_MS);
        const waiter = {
            predicate,
            resolve: (hit) => {
                clearTimeout(timer);
                resolve(hit);
            },
        };
        waiters.add(waiter);
    });
}

function hookPath(eventType) {
    return `/hooks/${eventType}`;
}

async function expectWebhook(eventType, resourceId) {
    const hit = await waitForWebhook(eventType, resourceId);
    check(hit.path === hookPath(eventType), `the webhook should go to the URL of the ${eventType} hook`, hit);
    const date = Number(hit.query.Date);
    check(/^[0-9]+$/.test(hit.query.Date || '') && isUnixSeconds(date), 'Date should be integer Unix seconds', hit.query);
    check(Math.abs(date - Date.now() / 1000) < 300, 'Date should be about now', hit.query);
    return `GET ${hit.path}?EventType=${hit.query.EventType}&RessourceId=${hit.query.RessourceId}&Date=${hit.query.Date}`;
}

// ---------------------------------------------------------------------------
// sandbox test helpers: plain HTTP with a bearer token of our own

let bearer = null;

async function token() {
    if (bearer) return bearer;
    const basic = Buffer.from(`${CLIENT_ID}:${API_KEY}`).toString('base64');
    const res = await fetch(`${BASE_URL}/v2.01/oauth/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
    });
    const text = await res.text();
    check(res.status === 200, `POST /v2.01/oauth/token should answer 200, got HTTP ${res.status}`, text);
    const body = JSON.parse(text);
    check(typeof body.access_token === 'string', 'token answer should carry access_token', body);
    bearer = body.access_token;
    return bearer;
}

async function helper(path, body) {
    const url = `${BASE_URL}/v2.01/${CLIENT_ID}/sandbox/${path}`;
    const res = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body || {}),
    });
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch (e) {
        json = text;
    }
    check(res.status === 200, `POST ${url} should answer 200, got HTTP ${res.status}`, json);
    return json;
}

// ---------------------------------------------------------------------------
// fixtures

const RUN = crypto.randomBytes(4).toString('hex');
const BIRTHDAY = 188301600; // 1975-12-20
const ADDRESS = {
    AddressLine1: '1 Rue de la Paix',
    AddressLine2: '',
    City: 'Paris',
    Region: 'Ile-de-France',
    PostalCode: '75002',
    Country: 'FR',
};
const RETURN_URL = 'https://example.com/verity-return';

function naturalUser(label, firstName, lastName) {
    return new models.UserNatural({
        FirstName: firstName,
        LastName: lastName,
        Email: `${label}.node.${RUN}@example.com`,
        Address: new models.Address(ADDRESS),
        Birthday: BIRTHDAY,
        Nationality: 'FR',
        CountryOfResidence: 'FR',
        Occupation: 'tester',
        IncomeRange: 3,
        TermsAndConditionsAccepted: true,
        UserCategory: 'OWNER',
        Tag: `verity-node-sandbox ${RUN} ${label}`,
    });
}

function legalUser(label, legalPersonType, name, repFirst, repLast) {
    return new models.UserLegal({
        Name: name,
        Email: `${label}.node.${RUN}@example.com`,
        LegalPersonType: legalPersonType,
        HeadquartersAddress: new models.Address(ADDRESS),
        LegalRepresentativeFirstName: repFirst,
        LegalRepresentativeLastName: repLast,
        LegalRepresentativeEmail: `${label}.rep.node.${RUN}@example.com`,
        LegalRepresentativeAddress: new models.Address(ADDRESS),
        LegalRepresentativeBirthday: BIRTHDAY,
        LegalRepresentativeNationality: 'FR',
        LegalRepresentativeCountryOfResidence: 'FR',
        CompanyNumber: '123456789',
        TermsAndConditionsAccepted: true,
        UserCategory: 'OWNER',
        Tag: `verity-node-sandbox ${RUN} ${label}`,
    });
}

function sessionTag(label, directive) {
    return `verity node sandbox ${RUN} ${label}${directive ? ' ' + directive : ''}`;
}

// --- session and check expectations

function dataMap(c) {
    check(Array.isArray(c.Data), `${c.Type}: Data should be an array`, c.Data);
    const map = {};
    for (const d of c.Data) {
        check(d && typeof d.Type === 'string' && 'Value' in d, `${c.Type}: Data entries should be {Type, Value}`, c.Data);
        map[d.Type] = d.Value;
    }
    return map;
}

// expected: [{Type, CheckStatus, Reasons?: [{Type, Value}], Data?: {KEY: value} | [] }]
function checkChecks(session, expected) {
    const checks = session.Checks;
    check(Array.isArray(checks), 'Checks should be an array', checks);
    check(checks.length === expected.length && checks.every((c, i) => c && c.Type === expected[i].Type),
        `Checks should be, in order, ${expected.map((e) => e.Type).join(', ')}`, checks.map((c) => c && c.Type));
    const ids = new Set();
    checks.forEach((c, i) => {
        const e = expected[i];
        check(typeof c.CheckId === 'string' && c.CheckId.startsWith('idnchc_'), `${c.Type}: CheckId should start with idnchc_`, c);
        ids.add(c.CheckId);
        check(c.CheckStatus === e.CheckStatus, `${c.Type}: CheckStatus should be ${e.CheckStatus}`, c);
        check(isUnixSeconds(c.CreationDate), `${c.Type}: CreationDate should be integer Unix seconds`, c);
        check(isUnixSeconds(c.LastUpdate), `${c.Type}: LastUpdate should be integer Unix seconds`, c);
        const reasons = e.Reasons || [];
        check(Array.isArray(c.Reasons) && c.Reasons.length === reasons.length &&
            reasons.every((r, j) => c.Reasons[j] && c.Reasons[j].Type === r.Type && c.Reasons[j].Value === r.Value),
        `${c.Type}: Reasons should be ${show(reasons)}`, c.Reasons);
        if (Array.isArray(e.Data)) {
            check(Array.isArray(c.Data) && c.Data.length === 0, `${c.Type}: Data should be []`, c.Data);
        } else if (e.Data) {
            const got = dataMap(c);
            for (const [k, v] of Object.entries(e.Data)) {
                check(k in got && got[k] === v, `${c.Type}: Data ${k} should be ${show(v)}`, c.Data);
            }
        }
    });
    check(ids.size === checks.length, 'every CheckId should be distinct', checks.map((c) => c.CheckId));
}

async function viewSession(id, status, userId) {
    const s = await api.IdentityVerifications.get(id);
    check(s.Id === id, 'Id should match', s.Id);
    check(s.Status === status, `Status should be ${status}`, s.Status);
    check(s.UserId === userId, `UserId should be ${userId}`, s.UserId);
    check(isUnixSeconds(s.CreationDate), 'CreationDate should be integer Unix seconds', s.CreationDate);
    return s;
}

async function createSession(user, tag) {
    const s = await api.IdentityVerifications.create(user.Id, { ReturnUrl: RETURN_URL, Tag: tag });
    check(typeof s.Id === 'string' && s.Id.startsWith('idnver_'), 'Id should look like idnver_<ULID>', s.Id);
    check(s.Status === 'PENDING', 'a new session should be PENDING', s.Status);
    check(s.Tag === tag, `Tag should echo ${tag}`, s.Tag);
    return s;
}

function idDocChecks(first, last, birthdate, prefix) {
    const p = prefix || '';
    return {
        [`${p}FIRST_NAME`]: first.toUpperCase(),
        [`${p}LAST_NAME`]: last.toUpperCase(),
        [`${p}BIRTHDATE`]: birthdate,
    };
}

// ---------------------------------------------------------------------------
// the flow

async function main() {
    console.log(`SDK ${pkgName}@${sdkVersion} -> ${BASE_URL} (client ${CLIENT_ID}, run ${RUN}) sandbox flow`);

    let receiver;
    await step('start the webhook receiver (127.0.0.1, ephemeral port)', async () => {
        receiver = await startReceiver();
        return `http://127.0.0.1:${receiver.address().port}`;
    });
    const hookBase = `http://127.0.0.1:${receiver.address().port}`;

    // 1. Hooks: one per EventType per client. A previous run may have left hooks pointing at
    //    its own (now gone) receiver: those are updated, the missing ones are created.
    let existing = {};
    await step('list the client hooks (Hooks.getAll)', async () => {
        const list = await api.Hooks.getAll({ parameters: { page: 1, per_page: 100 } });
        check(Array.isArray(list), 'hooks list should be an array', list);
        for (const h of list) existing[h.EventType] = h;
        return `${list.length} hook(s)`;
    });

    for (const eventType of EVENT_TYPES) {
        const url = hookBase + hookPath(eventType);
        const hookTag = `verity-node-sandbox ${RUN}`;
        const old = existing[eventType];
        const name = old
            ? `point the ${eventType} hook at the receiver (Hooks.update -> PUT /hooks/{id})`
            : `register a ${eventType} hook (Hooks.create -> POST /hooks)`;
        await step(name, async () => {
            let h;
            if (old) {
                h = await api.Hooks.update({ Id: old.Id, Url: url, Status: 'ENABLED', Validity: 'VALID', Tag: hookTag });
                check(h.Id === old.Id, 'Id should not change', h.Id);
            } else {
                h = await api.Hooks.create({ EventType: eventType, Url: url, Tag: hookTag });
            }
            check(h.EventType === eventType, `EventType should be ${eventType}`, h.EventType);
            check(h.Url === url, `Url should be ${url}`, h.Url);
            check(h.Status === 'ENABLED', 'Status should be ENABLED', h.Status);
            check(h.Validity === 'VALID', 'Validity should be VALID', h.Validity);
            check(h.Tag === hookTag, `Tag should be ${hookTag}`, h.Tag);
            return `${h.Id} ${h.Url}`;
        });
    }

    await step('a second hook for the same EventType -> 400 param_error', async () => {
        const body = await expectApiError(
            api.Hooks.create({ EventType: EVENT_TYPES[0], Url: hookBase + '/duplicate' }, { resolveWithFullResponse: true }),
            400, 'param_error');
        check(body.errors && 'EventType' in body.errors, 'errors should name EventType', body);
        return body.errors.EventType;
    });

    // 2. Natural user, verity:accept -> VALIDATED, user REGULAR with names in capitals.
    const acc = { first: 'Zoé', last: 'Accept-Node' };
    let accUser, accSession;
    await step('create natural user for verity:accept', async () => {
        accUser = await api.Users.create(naturalUser('accept', acc.first, acc.last));
        check(accUser.KYCLevel === 'LIGHT', 'a new user should be LIGHT', accUser.KYCLevel);
        return accUser.Id;
    });
    await step('create session with Tag verity:accept -> PENDING', async () => {
        accSession = await createSession(accUser, sessionTag('accept', 'verity:accept'));
        return accSession.Id;
    });
    await step('webhook IDENTITY_VERIFICATION_PENDING (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_PENDING', accSession.Id));
    await step('webhook IDENTITY_VERIFICATION_VALIDATED (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_VALIDATED', accSession.Id));
    await step('webhook USER_KYC_REGULAR (user)', () => expectWebhook('USER_KYC_REGULAR', accUser.Id));
    await step('view session -> VALIDATED with 3 validated checks', async () => {
        const s = await viewSession(accSession.Id, 'VALIDATED', accUser.Id);
        checkChecks(s, [
            { Type: 'IDENTITY_DOCUMENT_VERIFICATION', CheckStatus: 'VALIDATED',
                Data: idDocChecks(acc.first, acc.last, String(BIRTHDAY)) },
            { Type: 'IDV_NAME_MATCH_CHECK', CheckStatus: 'VALIDATED', Data: [] },
            { Type: 'IDV_AGE_CHECK', CheckStatus: 'VALIDATED', Data: [] },
        ]);
        return `${s.Status} ${s.Checks.map((c) => c.Type + ':' + c.CheckStatus).join(' ')}`;
    });
    await step('view user -> KYCLevel REGULAR, names in capitals', async () => {
        const u = await api.Users.getNatural(accUser.Id);
        check(u.KYCLevel === 'REGULAR', 'KYCLevel should be REGULAR', u.KYCLevel);
        check(u.FirstName === acc.first.toUpperCase(), `FirstName should be ${acc.first.toUpperCase()}`, u.FirstName);
        check(u.LastName === acc.last.toUpperCase(), `LastName should be ${acc.last.toUpperCase()}`, u.LastName);
        return `${u.KYCLevel} ${u.FirstName} ${u.LastName}`;
    });

    // 3. Natural user, verity:refuse=FACE_MATCH_FAIL -> REFUSED, one check.
    const fm = { first: 'Faye', last: 'Facematch' };
    let fmUser, fmSession;
    await step('create natural user for verity:refuse=FACE_MATCH_FAIL', async () => {
        fmUser = await api.Users.create(naturalUser('facematch', fm.first, fm.last));
        return fmUser.Id;
    });
    await step('create session with Tag verity:refuse=FACE_MATCH_FAIL -> PENDING', async () => {
        fmSession = await createSession(fmUser, sessionTag('facematch', 'verity:refuse=FACE_MATCH_FAIL'));
        return fmSession.Id;
    });
    await step('webhook IDENTITY_VERIFICATION_FAILED (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_FAILED', fmSession.Id));
    await step('view session -> REFUSED, IDENTITY_DOCUMENT_VERIFICATION refused with FACE_MATCH_FAIL', async () => {
        const s = await viewSession(fmSession.Id, 'REFUSED', fmUser.Id);
        checkChecks(s, [
            { Type: 'IDENTITY_DOCUMENT_VERIFICATION', CheckStatus: 'REFUSED',
                Reasons: [{ Type: 'FACE_MATCH_FAIL', Value: 'Document IDV has been refused by the provider' }],
                Data: { FIRST_NAME: '', LAST_NAME: '', BIRTHDATE: null } },
        ]);
        return `${s.Status} ${s.Checks[0].Type}:${s.Checks[0].CheckStatus} ${s.Checks[0].Reasons[0].Type}`;
    });
    await step('view user -> still LIGHT, names unchanged', async () => {
        const u = await api.Users.getNatural(fmUser.Id);
        check(u.KYCLevel === 'LIGHT', 'KYCLevel should stay LIGHT', u.KYCLevel);
        check(u.FirstName === fm.first && u.LastName === fm.last, 'names should not change', [u.FirstName, u.LastName]);
        return `${u.KYCLevel} ${u.FirstName} ${u.LastName}`;
    });

    // 4. Natural user, verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK.
    const nm = { first: 'Nina', last: 'Namematch' };
    let nmUser, nmSession;
    await step('create natural user for verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK', async () => {
        nmUser = await api.Users.create(naturalUser('namematch', nm.first, nm.last));
        return nmUser.Id;
    });
    await step('create session with Tag verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK -> PENDING', async () => {
        nmSession = await createSession(nmUser, sessionTag('namematch', 'verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_NAME_MATCH_CHECK'));
        return nmSession.Id;
    });
    await step('webhook IDENTITY_VERIFICATION_FAILED (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_FAILED', nmSession.Id));
    await step('view session -> REFUSED, IDV_NAME_MATCH_CHECK refused, the others validated', async () => {
        const s = await viewSession(nmSession.Id, 'REFUSED', nmUser.Id);
        checkChecks(s, [
            { Type: 'IDENTITY_DOCUMENT_VERIFICATION', CheckStatus: 'VALIDATED',
                Data: idDocChecks(nm.first, nm.last, String(BIRTHDAY)) },
            { Type: 'IDV_NAME_MATCH_CHECK', CheckStatus: 'REFUSED',
                Reasons: [{ Type: 'DOCUMENT_NOT_ACCEPTED', Value: 'ID name mismatch with declared user data' }] },
            { Type: 'IDV_AGE_CHECK', CheckStatus: 'VALIDATED' },
        ]);
        return `${s.Status} ${s.Checks.map((c) => c.Type + ':' + c.CheckStatus).join(' ')}`;
    });
    await step('view user -> still LIGHT', async () => {
        const u = await api.Users.getNatural(nmUser.Id);
        check(u.KYCLevel === 'LIGHT', 'KYCLevel should stay LIGHT', u.KYCLevel);
        return u.KYCLevel;
    });

    // 5. Legal BUSINESS user, verity:review -> REVIEW.
    const rv = { name: `Verity Review Node Ltd ${RUN}`, first: 'Rita', last: 'Review' };
    let rvUser, rvSession;
    await step('create legal BUSINESS OWNER user for verity:review', async () => {
        rvUser = await api.Users.create(legalUser('review', 'BUSINESS', rv.name, rv.first, rv.last));
        return rvUser.Id;
    });
    await step('create session with Tag verity:review -> PENDING', async () => {
        rvSession = await createSession(rvUser, sessionTag('review', 'verity:review'));
        return rvSession.Id;
    });
    await step('webhook IDENTITY_VERIFICATION_INCONCLUSIVE (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_INCONCLUSIVE', rvSession.Id));
    await step('view session -> REVIEW, BUSINESS_VERIFICATION refused, no BUSINESS_INSIGHTS_MATCH', async () => {
        const s = await viewSession(rvSession.Id, 'REVIEW', rvUser.Id);
        checkChecks(s, [
            { Type: 'BUSINESS_VERIFICATION', CheckStatus: 'REFUSED',
                Reasons: [{ Type: 'DOCUMENT_NOT_ACCEPTED', Value: 'Document has been refused by the provider' }],
                Data: { COMPANY_NAME: rv.name.toUpperCase(), COMPANY_NUMBER: '123456789' } },
            { Type: 'IDENTITY_DOCUMENT_VERIFICATION', CheckStatus: 'VALIDATED',
                Data: idDocChecks(rv.first, rv.last, String(BIRTHDAY), 'LEGAL_REPRESENTATIVE_') },
            { Type: 'IDV_NAME_MATCH_CHECK', CheckStatus: 'VALIDATED' },
            { Type: 'IDV_AGE_CHECK', CheckStatus: 'VALIDATED' },
        ]);
        return `${s.Status} ${s.Checks.map((c) => c.Type + ':' + c.CheckStatus).join(' ')}`;
    });
    await step('view legal user -> still LIGHT', async () => {
        const u = await api.Users.getLegal(rvUser.Id);
        check(u.KYCLevel === 'LIGHT', 'KYCLevel should stay LIGHT', u.KYCLevel);
        return u.KYCLevel;
    });

    // 6. Legal SOLETRADER user, verity:accept -> VALIDATED, user REGULAR with names from the checks.
    const st = { name: `Verity Soletrader Node ${RUN}`, first: 'Sol', last: 'Trader' };
    let stUser, stSession;
    await step('create legal SOLETRADER OWNER user for verity:accept', async () => {
        stUser = await api.Users.create(legalUser('soletrader', 'SOLETRADER', st.name, st.first, st.last));
        check(stUser.LegalPersonType === 'SOLETRADER', 'LegalPersonType should be SOLETRADER', stUser.LegalPersonType);
        return stUser.Id;
    });
    await step('create session with Tag verity:accept -> PENDING', async () => {
        stSession = await createSession(stUser, sessionTag('soletrader', 'verity:accept'));
        return stSession.Id;
    });
    await step('webhook IDENTITY_VERIFICATION_VALIDATED (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_VALIDATED', stSession.Id));
    await step('webhook USER_KYC_REGULAR (user)', () => expectWebhook('USER_KYC_REGULAR', stUser.Id));
    await step('view session -> VALIDATED with 5 validated checks', async () => {
        const s = await viewSession(stSession.Id, 'VALIDATED', stUser.Id);
        checkChecks(s, [
            { Type: 'BUSINESS_VERIFICATION', CheckStatus: 'VALIDATED',
                Data: { COMPANY_NAME: st.name.toUpperCase(), COMPANY_NUMBER: '123456789' } },
            { Type: 'IDENTITY_DOCUMENT_VERIFICATION', CheckStatus: 'VALIDATED',
                Data: idDocChecks(st.first, st.last, String(BIRTHDAY), 'LEGAL_REPRESENTATIVE_') },
            { Type: 'IDV_NAME_MATCH_CHECK', CheckStatus: 'VALIDATED' },
            { Type: 'IDV_AGE_CHECK', CheckStatus: 'VALIDATED' },
            { Type: 'BUSINESS_NAME_MATCH', CheckStatus: 'VALIDATED' },
        ]);
        return `${s.Status} ${s.Checks.map((c) => c.Type + ':' + c.CheckStatus).join(' ')}`;
    });
    await step('view legal user -> REGULAR, Name = COMPANY_NAME, representative names in capitals', async () => {
        const u = await api.Users.getLegal(stUser.Id);
        check(u.KYCLevel === 'REGULAR', 'KYCLevel should be REGULAR', u.KYCLevel);
        check(u.Name === st.name.toUpperCase(), `Name should be ${st.name.toUpperCase()}`, u.Name);
        check(u.LegalRepresentativeFirstName === st.first.toUpperCase(),
            `LegalRepresentativeFirstName should be ${st.first.toUpperCase()}`, u.LegalRepresentativeFirstName);
        check(u.LegalRepresentativeLastName === st.last.toUpperCase(),
            `LegalRepresentativeLastName should be ${st.last.toUpperCase()}`, u.LegalRepresentativeLastName);
        return `${u.KYCLevel} ${u.Name} / ${u.LegalRepresentativeFirstName} ${u.LegalRepresentativeLastName}`;
    });

    // 7. Directives refused at creation.
    let nrUser;
    await step('create natural user for verity:review', async () => {
        nrUser = await api.Users.create(naturalUser('naturalreview', 'Nora', 'Noreview'));
        return nrUser.Id;
    });
    await step('create session with Tag verity:review for a natural user -> 400 param_error (errors.Tag)', async () => {
        const body = await expectApiError(
            api.IdentityVerifications.create(nrUser.Id, { ReturnUrl: RETURN_URL, Tag: sessionTag('naturalreview', 'verity:review') },
                { resolveWithFullResponse: true }),
            400, 'param_error');
        const want = 'Sessions of natural users are never sent to review.';
        check(body.errors && body.errors.Tag === want, `errors.Tag should be ${show(want)}`, body);
        return body.errors.Tag;
    });
    await step('create session with Tag verity:maybe -> 400 param_error (errors.Tag)', async () => {
        const body = await expectApiError(
            api.IdentityVerifications.create(nrUser.Id, { ReturnUrl: RETURN_URL, Tag: sessionTag('maybe', 'verity:maybe') },
                { resolveWithFullResponse: true }),
            400, 'param_error');
        check(body.errors && typeof body.errors.Tag === 'string' && body.errors.Tag.length > 0,
            'errors.Tag should explain the unknown directive', body);
        return body.errors.Tag;
    });
    await step('the refused creates left no session', async () => {
        const list = await api.IdentityVerifications.getAll(nrUser.Id);
        check(Array.isArray(list) && list.length === 0, 'the user should have no session', list);
        return '0 sessions';
    });

    // 8. Sandbox helper: force an outcome on a session without directive.
    const fo = { first: 'Otto', last: 'Outcome' };
    let foUser, foSession;
    await step('create natural user and a session without directive (stays PENDING)', async () => {
        foUser = await api.Users.create(naturalUser('outcome', fo.first, fo.last));
        foSession = await createSession(foUser, sessionTag('outcome', ''));
        return `${foUser.Id} ${foSession.Id}`;
    });
    await step('webhook IDENTITY_VERIFICATION_PENDING (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_PENDING', foSession.Id));
    await step('helper POST /sandbox/identity-verifications/{id}/outcome REFUSED FACE_MATCH_FAIL', async () => {
        const s = await helper(`identity-verifications/${foSession.Id}/outcome`,
            { Status: 'REFUSED', RefusedReasonType: 'FACE_MATCH_FAIL', CheckType: 'IDENTITY_DOCUMENT_VERIFICATION' });
        check(s && s.Id === foSession.Id && s.Status === 'REFUSED', 'the helper should answer the REFUSED session', s);
        return s.Status;
    });
    await step('webhook IDENTITY_VERIFICATION_FAILED (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_FAILED', foSession.Id));
    await step('view session -> REFUSED with the forced check', async () => {
        const s = await viewSession(foSession.Id, 'REFUSED', foUser.Id);
        checkChecks(s, [
            { Type: 'IDENTITY_DOCUMENT_VERIFICATION', CheckStatus: 'REFUSED',
                Reasons: [{ Type: 'FACE_MATCH_FAIL', Value: 'Document IDV has been refused by the provider' }],
                Data: { FIRST_NAME: '', LAST_NAME: '', BIRTHDATE: null } },
        ]);
        return s.Status;
    });

    // 9. Sandbox helper: expire a PENDING session.
    let exUser, exSession;
    await step('create natural user and a session without directive for expiry', async () => {
        exUser = await api.Users.create(naturalUser('expire', 'Ezra', 'Expire'));
        exSession = await createSession(exUser, sessionTag('expire', ''));
        return `${exUser.Id} ${exSession.Id}`;
    });
    await step('helper POST /sandbox/identity-verifications/{id}/expire', async () => {
        const s = await helper(`identity-verifications/${exSession.Id}/expire`);
        check(s && s.Id === exSession.Id && s.Status === 'EXPIRED', 'the helper should answer the EXPIRED session', s);
        return s.Status;
    });
    await step('webhook IDENTITY_VERIFICATION_EXPIRED (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_EXPIRED', exSession.Id));
    await step('view session -> EXPIRED', async () => {
        const s = await viewSession(exSession.Id, 'EXPIRED', exUser.Id);
        return s.Status;
    });

    // 10. Sandbox helper: downgrade the validated natural user of step 2.
    await step('helper POST /sandbox/users/{id}/downgrade (the verity:accept user)', async () => {
        const u = await helper(`users/${accUser.Id}/downgrade`);
        check(u && u.Id === accUser.Id && u.KYCLevel === 'LIGHT', 'the helper should answer the user, LIGHT', u);
        return u.KYCLevel;
    });
    await step('webhook IDENTITY_VERIFICATION_OUTDATED (session)', () =>
        expectWebhook('IDENTITY_VERIFICATION_OUTDATED', accSession.Id));
    await step('webhook USER_KYC_LIGHT (user)', () => expectWebhook('USER_KYC_LIGHT', accUser.Id));
    await step('view session -> OUT_OF_DATE', async () => {
        const s = await viewSession(accSession.Id, 'OUT_OF_DATE', accUser.Id);
        return s.Status;
    });
    await step('view user -> KYCLevel LIGHT', async () => {
        const u = await api.Users.getNatural(accUser.Id);
        check(u.KYCLevel === 'LIGHT', 'KYCLevel should be LIGHT', u.KYCLevel);
        return u.KYCLevel;
    });

    // 11. Nothing unexpected reached the receiver for the users of this run.
    await step('no unexpected webhooks for this run', async () => {
        const ours = new Map([
            [accSession.Id, ['IDENTITY_VERIFICATION_PENDING', 'IDENTITY_VERIFICATION_VALIDATED', 'IDENTITY_VERIFICATION_OUTDATED']],
            [accUser.Id, ['USER_KYC_REGULAR', 'USER_KYC_LIGHT']],
            [fmSession.Id, ['IDENTITY_VERIFICATION_PENDING', 'IDENTITY_VERIFICATION_FAILED']],
            [fmUser.Id, []],
            [nmSession.Id, ['IDENTITY_VERIFICATION_PENDING', 'IDENTITY_VERIFICATION_FAILED']],
            [nmUser.Id, []],
            [rvSession.Id, ['IDENTITY_VERIFICATION_PENDING', 'IDENTITY_VERIFICATION_INCONCLUSIVE']],
            [rvUser.Id, []],
            [stSession.Id, ['IDENTITY_VERIFICATION_PENDING', 'IDENTITY_VERIFICATION_VALIDATED']],
            [stUser.Id, ['USER_KYC_REGULAR']],
            [nrUser.Id, []],
            [foSession.Id, ['IDENTITY_VERIFICATION_PENDING', 'IDENTITY_VERIFICATION_FAILED']],
            [foUser.Id, []],
            [exSession.Id, ['IDENTITY_VERIFICATION_PENDING', 'IDENTITY_VERIFICATION_EXPIRED']],
            [exUser.Id, []],
        ]);
        const unexpected = received.filter((h) => ours.has(h.query.RessourceId) &&
            !ours.get(h.query.RessourceId).includes(h.query.EventType));
        check(unexpected.length === 0, 'only the expected event types should be sent',
            unexpected.map((h) => `${h.query.EventType} ${h.query.RessourceId}`));
        const mine = received.filter((h) => ours.has(h.query.RessourceId)).length;
        return `${mine} webhook(s) for this run, ${received.length} in all`;
    });

    console.log(`PASS ${pkgName}@${sdkVersion} sandbox flow: ${stepCount} steps`);
    // Keep-alive connections (Verity's webhook client, fetch) would hold the process open.
    receiver.closeAllConnections();
    receiver.close();
    process.exit(0);
}

main().catch((err) => {
    console.log(`FAIL ${currentStep}: harness error: ${err && err.stack ? err.stack : describeRejection(err)}`);
    process.exit(1);
});
