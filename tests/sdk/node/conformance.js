#!/usr/bin/env node
'use strict';

// SDK conformance run: drives an official Mangopay Node SDK (unmodified) against a
// running Verity server and checks the answers step by step.
//
//   VERITY_BASE_URL=http://127.0.0.1:8080 VERITY_CLIENT_ID=... VERITY_API_KEY=... \
//     node conformance.js mangopay4-nodejs-sdk      (or mangopay2-nodejs-sdk)
//
// Prints one line per step; exits 0 when every step passed, 1 on the first failure
// (the message names the step and shows what the server answered), 2 on bad usage.

const crypto = require('crypto');

const SUPPORTED = ['mangopay4-nodejs-sdk', 'mangopay2-nodejs-sdk'];
const STEP_TIMEOUT_MS = 20000;

const pkgName = process.argv[2];
if (!SUPPORTED.includes(pkgName)) {
    console.error(`usage: node conformance.js <${SUPPORTED.join('|')}>`);
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
// The SCA user models are not exported on api.models; Users.create() picks the
// /sca/ endpoints by `instanceof` against these very classes.
const UserNaturalSca = require(`${pkgName}/lib/models/UserNaturalSca`);
const UserLegalSca = require(`${pkgName}/lib/models/UserLegalSca`);

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
// tiny step runner

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

// What a rejected SDK promise carries: the error body, or (with
// resolveWithFullResponse) the axios response, or a timeout object.
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

// Run one step: `fn` returns a value or a promise; a rejection is a failure.
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
        check(typeof body.Date === 'number' && body.Date > 1000000000, 'error body Date should be Unix seconds', body);
        check(typeof body.Id === 'string' && body.Id.length > 0, 'error body has no Id', body);
        check('errors' in body, 'error body has no "errors" key', body);
        return body;
    }
    fail(`expected HTTP ${status} ${type}, but the call succeeded with HTTP ${response && response.status}: ${show(response && response.body)}`);
}

process.on('unhandledRejection', (reason) => {
    // The SDK throws inside its own catch handler when there is no HTTP response at
    // all (connection refused, reset); that surfaces here instead of as a rejection.
    console.log(`FAIL ${currentStep}: unhandled error inside the SDK (server unreachable?): ${describeRejection(reason)}`);
    process.exit(1);
});

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
const UNKNOWN_SESSION_ID = 'idnver_01J' + '0'.repeat(22) + 'Z'; // well-formed, never issued

function naturalOwnerLegacy() {
    return new models.UserNatural({
        FirstName: 'Jane',
        LastName: 'Node',
        Email: `jane.node.${RUN}@example.com`,
        Address: new models.Address(ADDRESS),
        Birthday: BIRTHDAY,
        Nationality: 'FR',
        CountryOfResidence: 'FR',
        Occupation: 'tester',
        IncomeRange: 3,
        TermsAndConditionsAccepted: true,
        UserCategory: 'OWNER',
        Tag: `verity-node-conformance ${RUN}`,
    });
}

function legalOwnerLegacy() {
    return new models.UserLegal({
        Name: `Verity Node Ltd ${RUN}`,
        Email: `company.node.${RUN}@example.com`,
        LegalPersonType: 'BUSINESS',
        HeadquartersAddress: new models.Address(ADDRESS),
        LegalRepresentativeFirstName: 'John',
        LegalRepresentativeLastName: 'Node',
        LegalRepresentativeEmail: `john.node.${RUN}@example.com`,
        LegalRepresentativeAddress: new models.Address(ADDRESS),
        LegalRepresentativeBirthday: BIRTHDAY,
        LegalRepresentativeNationality: 'FR',
        LegalRepresentativeCountryOfResidence: 'FR',
        CompanyNumber: '123456789',
        TermsAndConditionsAccepted: true,
        UserCategory: 'OWNER',
        Tag: `verity-node-conformance ${RUN}`,
    });
}

function naturalOwnerSca(email) {
    return new UserNaturalSca({
        FirstName: 'Alice',
        LastName: 'Sca',
        Email: email,
        Address: new models.Address(ADDRESS),
        Birthday: BIRTHDAY,
        Nationality: 'FR',
        CountryOfResidence: 'FR',
        Occupation: 'tester',
        IncomeRange: 2,
        PhoneNumber: '+33611111111',
        PhoneNumberCountry: 'FR',
        TermsAndConditionsAccepted: true,
        UserCategory: 'OWNER',
        ScaContext: 'USER_PRESENT',
        Tag: `verity-node-conformance ${RUN}`,
    });
}

function legalOwnerSca() {
    return new UserLegalSca({
        Name: `Verity Node SCA SAS ${RUN}`,
        Email: `company.accept.${RUN}@example.com`,
        LegalPersonType: 'BUSINESS',
        HeadquartersAddress: new models.Address(ADDRESS),
        LegalRepresentativeAddress: new models.Address(ADDRESS),
        LegalRepresentative: {
            FirstName: 'Bob',
            LastName: 'Sca',
            Email: `bob.accept.${RUN}@example.com`,
            Birthday: BIRTHDAY,
            Nationality: 'FR',
            CountryOfResidence: 'FR',
            PhoneNumber: '+33611111111',
            PhoneNumberCountry: 'FR',
        },
        CompanyNumber: '123456789',
        TermsAndConditionsAccepted: true,
        UserCategory: 'OWNER',
        ScaContext: 'USER_PRESENT',
        Tag: `verity-node-conformance ${RUN}`,
    });
}

// A fresh body for every call: the SDK merges the response into the object it sent.
function idvBody(tag) {
    return { ReturnUrl: RETURN_URL, Tag: tag };
}

function checkUser(user, expect) {
    check(user && typeof user.Id === 'string' && user.Id.startsWith('user_m_'),
        'Id should look like user_m_<ULID>', user && user.Id);
    check(user.PersonType === expect.PersonType, `PersonType should be ${expect.PersonType}`, user.PersonType);
    check(user.UserCategory === 'OWNER', 'UserCategory should be OWNER', user.UserCategory);
    check(user.TermsAndConditionsAccepted === true, 'TermsAndConditionsAccepted should be true',
        user.TermsAndConditionsAccepted);
    check(user.KYCLevel === 'LIGHT', 'KYCLevel of a new user should be LIGHT', user.KYCLevel);
    check(isUnixSeconds(user.CreationDate), 'CreationDate should be integer Unix seconds', user.CreationDate);
    if (expect.Email) check(user.Email === expect.Email, `Email should echo ${expect.Email}`, user.Email);
    if (expect.UserStatus) {
        check(user.UserStatus === expect.UserStatus, `UserStatus should be ${expect.UserStatus}`, user.UserStatus);
    }
}

function checkSession(s, expect) {
    check(s && typeof s.Id === 'string' && s.Id.startsWith('idnver_'),
        'Id should look like idnver_<ULID>', s && s.Id);
    check(s.Status === 'PENDING', 'Status should be PENDING', s.Status);
    check(typeof s.HostedUrl === 'string' && s.HostedUrl.startsWith(BASE_URL),
        `HostedUrl should start with ${BASE_URL}`, s.HostedUrl);
    check(s.ReturnUrl === RETURN_URL, `ReturnUrl should echo ${RETURN_URL}`, s.ReturnUrl);
    check(s.Tag === expect.Tag, `Tag should echo ${expect.Tag}`, s.Tag);
    check(isUnixSeconds(s.CreationDate), 'CreationDate should be integer Unix seconds', s.CreationDate);
}

// ---------------------------------------------------------------------------
// the flow

async function main() {
    console.log(`SDK ${pkgName}@${sdkVersion} -> ${BASE_URL} (client ${CLIENT_ID}, run ${RUN})`);

    let natural, legal, scaNatural, scaNaturalPending, scaLegal;
    let session1, session2, idemSession;

    // 1. Users: legacy endpoints. The first call fetches the OAuth token implicitly.
    await step('create natural OWNER user (legacy POST /users/natural, token fetched implicitly)', async () => {
        const sent = naturalOwnerLegacy();
        try {
            natural = await api.Users.create(sent);
        } catch (err) {
            if (!api.requestOptions.headers.Authorization) {
                fail(`token request (POST /v2.01/oauth/token) failed: ${describeRejection(err)}`);
            }
            throw err;
        }
        check(/^bearer /i.test(api.requestOptions.headers.Authorization || ''),
            'token_type should be Bearer', api.requestOptions.headers.Authorization);
        check(Number.isFinite(api.authorizationExpireTime) && api.authorizationExpireTime > Date.now() + 60000,
            'token expires_in should be an integer number of seconds > 60', api.authorizationExpireTime);
        checkUser(natural, { PersonType: 'NATURAL', Email: sent.Email });
        check(natural.FirstName === 'Jane' && natural.LastName === 'Node', 'names should echo', natural);
        check(natural.Birthday === BIRTHDAY, `Birthday should echo ${BIRTHDAY}`, natural.Birthday);
        check(natural.Address && natural.Address.City === ADDRESS.City, 'Address should echo', natural.Address);
        return natural.Id;
    });

    await step('create legal OWNER user (legacy POST /users/legal, BUSINESS)', async () => {
        const sent = legalOwnerLegacy();
        legal = await api.Users.create(sent);
        checkUser(legal, { PersonType: 'LEGAL', Email: sent.Email });
        check(legal.LegalPersonType === 'BUSINESS', 'LegalPersonType should be BUSINESS', legal.LegalPersonType);
        check(legal.CompanyNumber === '123456789', 'CompanyNumber should echo', legal.CompanyNumber);
        check(legal.LegalRepresentativeFirstName === 'John', 'LegalRepresentativeFirstName should echo',
            legal.LegalRepresentativeFirstName);
        check(legal.LegalRepresentativeBirthday === BIRTHDAY, 'LegalRepresentativeBirthday should echo',
            legal.LegalRepresentativeBirthday);
        return legal.Id;
    });

    // 2. Users: SCA endpoints.
    await step('create natural OWNER user (SCA POST /sca/users/natural, email contains "accept")', async () => {
        const sent = naturalOwnerSca(`alice.accept.${RUN}@example.com`);
        scaNatural = await api.Users.create(sent);
        checkUser(scaNatural, { PersonType: 'NATURAL', Email: sent.Email, UserStatus: 'ACTIVE' });
        check(!scaNatural.PendingUserAction, 'PendingUserAction should be null for an "accept" email',
            scaNatural.PendingUserAction);
        check(scaNatural.PhoneNumber === '+33611111111', 'PhoneNumber should echo', scaNatural.PhoneNumber);
        return `${scaNatural.Id} ${scaNatural.UserStatus}`;
    });

    await step('create natural OWNER user (SCA, USER_PRESENT, plain email) -> PENDING_USER_ACTION', async () => {
        const sent = naturalOwnerSca(`alice.${RUN}@example.com`);
        scaNaturalPending = await api.Users.create(sent);
        checkUser(scaNaturalPending, { PersonType: 'NATURAL', Email: sent.Email, UserStatus: 'PENDING_USER_ACTION' });
        const pua = scaNaturalPending.PendingUserAction;
        check(pua && typeof pua.RedirectUrl === 'string' && /^https?:\/\//.test(pua.RedirectUrl),
            'PendingUserAction.RedirectUrl should be a URL', pua);
        return `${scaNaturalPending.Id} ${scaNaturalPending.UserStatus}`;
    });

    await step('create legal OWNER user (SCA POST /sca/users/legal, BUSINESS)', async () => {
        const sent = legalOwnerSca();
        scaLegal = await api.Users.create(sent);
        checkUser(scaLegal, { PersonType: 'LEGAL', Email: sent.Email, UserStatus: 'ACTIVE' });
        const rep = scaLegal.LegalRepresentative;
        check(rep && rep.FirstName === 'Bob' && rep.LastName === 'Sca',
            'LegalRepresentative should echo FirstName/LastName', rep);
        check(rep.Birthday === BIRTHDAY, 'LegalRepresentative.Birthday should echo', rep);
        check(rep.Email === sent.LegalRepresentative.Email, 'LegalRepresentative.Email should echo', rep);
        check(scaLegal.CompanyNumber === '123456789', 'CompanyNumber should echo', scaLegal.CompanyNumber);
        return `${scaLegal.Id} ${scaLegal.UserStatus}`;
    });

    // 3. Users: view them back.
    await step('view natural user (Users.get -> GET /users/{id})', async () => {
        const u = await api.Users.get(natural.Id);
        check(u.Id === natural.Id, 'Id should match', u.Id);
        check(u.PersonType === 'NATURAL', 'PersonType should be NATURAL', u.PersonType);
        check(u.Email === natural.Email, 'Email should match', u.Email);
        check(u.UserCategory === 'OWNER', 'UserCategory should be OWNER', u.UserCategory);
        check(u.CreationDate === natural.CreationDate, 'CreationDate should not change', u.CreationDate);
        return u.Id;
    });

    await step('view natural user (Users.getNatural -> GET /users/natural/{id})', async () => {
        const u = await api.Users.getNatural(natural.Id);
        check(u.Id === natural.Id, 'Id should match', u.Id);
        check(u.FirstName === 'Jane' && u.Birthday === BIRTHDAY, 'FirstName/Birthday should match', u);
        return u.Id;
    });

    await step('view legal user (Users.getLegal -> GET /users/legal/{id})', async () => {
        const u = await api.Users.getLegal(legal.Id);
        check(u.Id === legal.Id, 'Id should match', u.Id);
        check(u.PersonType === 'LEGAL', 'PersonType should be LEGAL', u.PersonType);
        check(u.Name === legal.Name, 'Name should match', u.Name);
        check(u.LegalRepresentativeEmail === legal.LegalRepresentativeEmail, 'LegalRepresentativeEmail should match',
            u.LegalRepresentativeEmail);
        return u.Id;
    });

    await step('view SCA natural user (Users.getSca -> GET /sca/users/{id})', async () => {
        const u = await api.Users.getSca(scaNatural.Id);
        check(u.Id === scaNatural.Id, 'Id should match', u.Id);
        check(u.PersonType === 'NATURAL', 'PersonType should be NATURAL', u.PersonType);
        check(u.UserStatus === 'ACTIVE', 'UserStatus should be ACTIVE', u.UserStatus);
        check('PendingUserAction' in u, 'SCA view should carry a PendingUserAction key', u);
        return u.Id;
    });

    await step('view SCA natural user (Users.getNaturalSca -> GET /sca/users/natural/{id})', async () => {
        const u = await api.Users.getNaturalSca(scaNaturalPending.Id);
        check(u.Id === scaNaturalPending.Id, 'Id should match', u.Id);
        check(u.UserStatus === 'PENDING_USER_ACTION', 'UserStatus should be PENDING_USER_ACTION', u.UserStatus);
        return u.Id;
    });

    await step('view SCA legal user (Users.getLegalSca -> GET /sca/users/legal/{id})', async () => {
        const u = await api.Users.getLegalSca(scaLegal.Id);
        check(u.Id === scaLegal.Id, 'Id should match', u.Id);
        check(u.PersonType === 'LEGAL', 'PersonType should be LEGAL', u.PersonType);
        check(u.LegalRepresentative && u.LegalRepresentative.FirstName === 'Bob',
            'LegalRepresentative object should be returned', u.LegalRepresentative);
        return u.Id;
    });

    // 4. IDV sessions.
    const tag1 = `verity node ${RUN} #1`;
    await step('create IDV session (IdentityVerifications.create)', async () => {
        session1 = await api.IdentityVerifications.create(natural.Id, idvBody(tag1));
        checkSession(session1, { Tag: tag1 });
        return `${session1.Id} ${session1.Status}`;
    });

    await step('view IDV session (IdentityVerifications.get)', async () => {
        const s = await api.IdentityVerifications.get(session1.Id);
        checkSession(s, { Tag: tag1 });
        check(s.Id === session1.Id, 'Id should match', s.Id);
        check(s.HostedUrl === session1.HostedUrl, 'HostedUrl should equal the one returned on create', s.HostedUrl);
        check(s.UserId === natural.Id, `UserId should be ${natural.Id}`, s.UserId);
        check(Array.isArray(s.Checks), 'Checks should be an array', s.Checks);
        check(s.LastUpdate === null || isUnixSeconds(s.LastUpdate), 'LastUpdate should be integer Unix seconds or null',
            s.LastUpdate);
        return `${s.Id} ${s.Status} UserId=${s.UserId}`;
    });

    const tag2 = `verity node ${RUN} #2`;
    await step('create a second IDV session for the same user', async () => {
        session2 = await api.IdentityVerifications.create(natural.Id, idvBody(tag2));
        checkSession(session2, { Tag: tag2 });
        check(session2.Id !== session1.Id, 'a second create should give a new Id', session2.Id);
        check(session2.HostedUrl !== session1.HostedUrl, 'each session should get its own HostedUrl', session2.HostedUrl);
        return session2.Id;
    });

    await step('list IDV sessions (IdentityVerifications.getAll, no paging)', async () => {
        const list = await api.IdentityVerifications.getAll(natural.Id);
        check(Array.isArray(list), 'list body should be a JSON array', list);
        const ids = list.map((s) => s.Id).sort();
        check(list.length === 2 && ids.includes(session1.Id) && ids.includes(session2.Id),
            `list should hold exactly ${session1.Id} and ${session2.Id}`, ids);
        list.forEach((s) => {
            check(s.Status === 'PENDING', 'listed Status should be PENDING', s);
            check(isUnixSeconds(s.CreationDate), 'listed CreationDate should be integer Unix seconds', s);
        });
        return `${list.length} items`;
    });

    await step('list IDV sessions page 1/per_page 1 (X-Number-Of-Pages / X-Number-Of-Items)', async () => {
        const seen = [];
        for (const page of [1, 2]) {
            const res = await api.IdentityVerifications.getAll(natural.Id, {
                parameters: { page: page, per_page: 1 },
                resolveWithFullResponse: true,
            });
            check(res.status === 200, `page ${page}: HTTP status should be 200`, res.status);
            check(Array.isArray(res.body) && res.body.length === 1, `page ${page}: body should be an array of 1`, res.body);
            const pages = res.headers['x-number-of-pages'];
            const items = res.headers['x-number-of-items'];
            check(String(pages) === '2', `page ${page}: x-number-of-pages should be 2`, pages);
            check(String(items) === '2', `page ${page}: x-number-of-items should be 2`, items);
            seen.push(res.body[0].Id);
        }
        check(seen[0] !== seen[1] && seen.includes(session1.Id) && seen.includes(session2.Id),
            'pages 1 and 2 should hold the two different sessions', seen);
        return 'pages=2 items=2';
    });

    const legalTag = `verity node ${RUN} legal`;
    await step('create IDV session for the legal OWNER user', async () => {
        const s = await api.IdentityVerifications.create(legal.Id, idvBody(legalTag));
        checkSession(s, { Tag: legalTag });
        return s.Id;
    });

    // 5. Idempotency.
    const idemKey = `verity-${crypto.randomUUID().replace(/-/g, '').slice(0, 28)}`; // 35 chars, [A-Za-z0-9-]
    const idemTag = `verity node ${RUN} idempotent`;
    await step('create IDV session with an Idempotency-Key header', async () => {
        idemSession = await api.IdentityVerifications.create(scaNatural.Id, idvBody(idemTag), {
            headers: { 'Idempotency-Key': idemKey },
        });
        checkSession(idemSession, { Tag: idemTag });
        return `${idemSession.Id} key=${idemKey}`;
    });

    await step('repeat the create with the same Idempotency-Key -> 409 idempotent_creation_conflict', async () => {
        const body = await expectApiError(
            api.IdentityVerifications.create(scaNatural.Id, idvBody(idemTag), {
                headers: { 'Idempotency-Key': idemKey },
                resolveWithFullResponse: true,
            }),
            409, 'idempotent_creation_conflict');
        return body.Type;
    });

    await step('fetch the stored response (Idempotency.get -> GET /responses/{key})', async () => {
        const r = await api.Idempotency.get(idemKey);
        check(r && r.Resource && typeof r.Resource === 'object', 'Resource should be the original response body', r);
        check(r.Resource.Id === idemSession.Id, `Resource.Id should be ${idemSession.Id}`, r.Resource.Id);
        check(r.Resource.HostedUrl === idemSession.HostedUrl, 'Resource.HostedUrl should match', r.Resource.HostedUrl);
        check(String(r.StatusCode) === '200', 'StatusCode should be 200', r.StatusCode);
        check(typeof r.RequestURL === 'string' && /\/users\/[0-9a-zA-Z_-]*\/identity-verifications/.test(r.RequestURL),
            'RequestURL should name the create call', r.RequestURL);
        return `StatusCode=${r.StatusCode} Resource.Id=${r.Resource.Id}`;
    });

    // 6. Errors.
    await step('view an unknown IDV session -> 404 ressource_not_found', async () => {
        const body = await expectApiError(
            api.IdentityVerifications.get(UNKNOWN_SESSION_ID, { resolveWithFullResponse: true }),
            404, 'ressource_not_found');
        check(body.errors && typeof body.errors === 'object', 'a 404 body needs an errors object', body);
        return body.Type;
    });

    const rl = api.rateLimits || [];
    console.log(`info rate limits seen on the last answer: ${rl.length} bucket(s)`);
    console.log(`PASS ${pkgName}@${sdkVersion}: ${stepCount} steps`);
}

main().catch((err) => {
    console.log(`FAIL ${currentStep}: harness error: ${err && err.stack ? err.stack : describeRejection(err)}`);
    process.exit(1);
});
