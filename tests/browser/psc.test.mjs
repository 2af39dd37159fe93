// The PSC flow (2026) on a phone: a BUSINESS user of a client with the PSC flow on, its main
// session validated by the sandbox (`verity:accept`, the hosted pages not walked, so the declared
// PSC is the user's legal representative), then the PSC's own session walked in Chromium: welcome,
// details prefilled with the PSC's declared data, document, front, back, selfie, review, submit,
// every page axe-clean; the API then shows the PSC decided. And the sandbox simulator on a PSC's
// page: validated, the PSC VALIDATED and the user REGULAR.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, Files, Recorder, TIMEOUT, env, launch, watch, pageIssues, returnUrl, stepUrl, goOn, submitStep, heading,
  uploadPhoto, chooseDocument, fieldValues, statusText,
  browserWithImages,
} from './lib.mjs';

// The client with the PSC flow on (VERITY_PSC_CLIENT_ID); the other fx.files use one without it.
const api = new Api({ clientId: env.pscClientId, apiKey: env.pscApiKey });

/** The legal representative createLegal declares (its e-mail is made unique there). */
const BERTHE = { first: 'Berthe', last: 'Morel', birth: '1979-03-14', nationality: 'FR' };

/** A closed page after submission: submitted, or already decided (any client name). */
const SUBMITTED_OR_DECIDED = new RegExp('^(' + [
  'Your information has been submitted and is being checked, usually within a few minutes\\. .+ will tell you the outcome; you can close this page\\.',
  'This verification was not successful\\. .+ will tell you what to do next\\.',
  'Your information is being reviewed\\.',
  'Your identity has been verified\\.',
].join('|') + ')$');

/**
 * Calls `read` every `interval` ms until `done(value)` holds, and returns that value; fails with
 * the last value read once `within` ms have passed.
 */
async function poll(what, read, done, { within = 30_000, interval = 100 } = {}) {
  const deadline = Date.now() + within;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${within} ms; last read: ${JSON.stringify(value, null, 1)}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A BUSINESS user (OWNER, legal representative with e-mail and birthday) and its main session,
 * validated by the sandbox; returns them once the one declared PSC waits for its own session.
 */
async function companyWithPendingPsc() {
  const user = await api.createLegal('BUSINESS');
  const created = await api.createSession(user.Id, 'verity:accept');
  const main = await poll(
    `main session ${created.Id} VALIDATED with its PSC PENDING_VALIDATION`,
    () => api.getSession(created.Id),
    (s) => {
      // A main session decided otherwise would never get there: stop at once.
      assert.ok(['PENDING', 'VALIDATED'].includes(s.Status), `main session: ${JSON.stringify(s, null, 1)}`);
      return s.Status === 'VALIDATED' && s.PSCs?.[0]?.Status === 'PENDING_VALIDATION';
    },
  );
  assert.equal(main.PSCs.length, 1, `one PSC, the legal representative: ${JSON.stringify(main.PSCs)}`);
  const psc = main.PSCs[0];
  assert.equal(psc.PscType, 'LEGAL_REPRESENTATIVE');
  assert.deepEqual([psc.FirstName, psc.LastName, psc.Nationality], [BERTHE.first, BERTHE.last, BERTHE.nationality]);
  assert.equal(psc.Email, user.LegalRepresentativeEmail);
  assert.equal(psc.DateOfBirth, user.LegalRepresentativeBirthday);
  assert.equal(psc.MainSessionId, main.Id);
  assert.ok(psc.SessionId && psc.SessionId !== main.Id, `the PSC's own session: ${psc.SessionId}`);
  assert.match(psc.HostedUrl, /\/verify\/[^/?]+/, 'the PSC HostedUrl');
  assert.notEqual(psc.HostedUrl, main.HostedUrl);
  return { user, main, psc };
}

/** The PSC as the main session shows it now. */
async function pscNow(mainId, pscId) {
  const psc = (await api.getSession(mainId)).PSCs.find((p) => p.Id === pscId);
  assert.ok(psc, `PSC ${pscId} still listed on ${mainId}`);
  return psc;
}

describe('PSC session', { concurrency: 2 }, () => {
  const fx = browserWithImages();

  const panel = (page) => page.locator('section.sandbox');
  const progressLabel = async (page) => (await page.locator('main .progress').textContent()).trim();

  /** Audits and screenshots the page, and checks it fits the phone's width (no sideways scroll). */
  async function record(rec, page, name) {
    await rec.page(page, name);
    const [scrollWidth, clientWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(scrollWidth <= clientWidth, `${name}: the page is ${scrollWidth}px wide on a ${clientWidth}px screen`);
  }

  test('a PSC completes their own session on a phone, every page axe-clean', { timeout: TIMEOUT }, async () => {
    const { main, psc } = await companyWithPendingPsc();
    const ctx = await fx.chrome.context('phone');
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('psc', 'phone');
    try {
      // Welcome: a natural person's flow of 7 steps; a sandbox session, so the simulator shows.
      await page.goto(psc.HostedUrl);
      await page.waitForURL(stepUrl('welcome'));
      assert.equal(await heading(page), "Let's verify your identity");
      assert.equal(await progressLabel(page), 'Step 1 of 7');
      assert.equal(await panel(page).count(), 1, 'the sandbox simulator on a sandbox PSC page');
      await record(rec, page, 'welcome');
      await goOn(page, 'welcome', 'personal');

      // Details: the PSC's declared data, to confirm; no e-mail asked (that is the main session's).
      assert.equal(await heading(page), 'Confirm your details');
      assert.equal(await progressLabel(page), 'Step 2 of 7');
      assert.deepEqual(await fieldValues(page, ['first_name', 'last_name', 'birth_date']), {
        first_name: BERTHE.first, last_name: BERTHE.last, birth_date: BERTHE.birth,
      });
      assert.equal(await page.inputValue('#nationality'), BERTHE.nationality);
      assert.equal(await page.locator('main #email').count(), 0, 'no e-mail field in a PSC session');
      await record(rec, page, 'personal');
      await goOn(page, 'personal', 'document');

      // Document: the country starts at the nationality; an identity card (two sides).
      assert.equal(await heading(page), 'Choose your identity document');
      assert.equal(await progressLabel(page), 'Step 3 of 7');
      assert.equal(await page.inputValue('#country'), 'FR');
      await record(rec, page, 'document');
      await chooseDocument(page, 'IDENTITY_CARD', 'FR', 'front');

      // Photos, through the file inputs.
      assert.equal(await heading(page), 'Photo of the front of your document');
      assert.equal(await progressLabel(page), 'Step 4 of 7');
      await record(rec, page, 'front');
      await uploadPhoto(page, 'front', fx.images.front, 'back');
      assert.equal(await heading(page), 'Photo of the back of your document');
      assert.equal(await progressLabel(page), 'Step 5 of 7');
      await record(rec, page, 'back');
      await uploadPhoto(page, 'back', fx.images.back, 'selfie');
      assert.equal(await heading(page), 'Take a selfie');
      assert.equal(await progressLabel(page), 'Step 6 of 7');
      await record(rec, page, 'selfie');
      await uploadPhoto(page, 'selfie', fx.images.selfie, 'review');

      // Review and submit -> the ReturnUrl.
      assert.equal(await heading(page), 'Check and submit');
      assert.equal(await progressLabel(page), 'Step 7 of 7');
      const review = await page.locator('main dl.summary').innerText();
      assert.match(review, new RegExp(`${BERTHE.first} ${BERTHE.last} · ${BERTHE.birth}`));
      assert.match(review, /Identity card · France/);
      assert.match(review, /✓ Front, ✓ Back, ✓ Selfie/);
      await record(rec, page, 'review');
      await Promise.all([page.waitForURL(returnUrl()), submitStep(page, 'review')]);
      assert.equal(page.url(), returnUrl());

      // The link is now closed: submitted, or already decided; no simulator any more.
      await page.goto(psc.HostedUrl);
      assert.equal(await heading(page), 'This verification is closed');
      assert.match(await statusText(page), SUBMITTED_OR_DECIDED);
      assert.equal(await panel(page).count(), 0, 'no simulator on a submitted session');
      await record(rec, page, 'submitted');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();

      // The API: the engine decides the PSC's session (no script in the Tag). These generated
      // photos are no real document (no MRZ), so the engine may refuse them: VALIDATED and
      // REFUSED (REVIEW too, if fraud signals send it there) are all decisions; what is tested is
      // that the submission left PENDING and that the PSC follows its session.
      const session = await poll(
        `the PSC's session ${psc.SessionId} decided`,
        () => api.getSession(psc.SessionId),
        (s) => s.Status !== 'PENDING',
      );
      assert.ok(['VALIDATED', 'REFUSED', 'REVIEW'].includes(session.Status), `PSC session: ${JSON.stringify(session, null, 1)}`);
      const expected = { VALIDATED: 'VALIDATED', REFUSED: 'REJECTED', REVIEW: 'PENDING_VALIDATION' }[session.Status];
      const decided = await poll(`PSC ${psc.Id} ${expected}`, () => pscNow(main.Id, psc.Id), (p) => p.Status === expected);
      assert.equal(decided.SessionId, psc.SessionId);
      assert.equal((await api.getSession(main.Id)).Status, 'VALIDATED', 'the main session stays VALIDATED');
    } finally {
      await ctx.close();
    }
  });

  test('the sandbox simulator on a PSC page: validated, the PSC VALIDATED and the user REGULAR (phone)', { timeout: TIMEOUT }, async () => {
    const { user, main, psc } = await companyWithPendingPsc();
    const ctx = await fx.chrome.context('phone');
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('psc', 'phone');
    try {
      await page.goto(psc.HostedUrl);
      await goOn(page, 'welcome', 'personal');
      assert.equal((await panel(page).locator('h2').innerText()).trim(), 'Sandbox simulator');
      assert.equal(await page.isChecked('#sim-validated'), true, 'validated is the default outcome');
      assert.equal(await page.locator('#sim-review').count(), 0, 'no review outcome for a person');
      const reasons = await page.locator('#sim-reason option').evaluateAll((os) => os.map((o) => o.value));
      assert.ok(reasons.includes('DOCUMENT_FALSIFIED@IDENTITY_DOCUMENT_VERIFICATION'), `reasons offered: ${reasons}`);
      assert.ok(!reasons.some((r) => r.endsWith('@BUSINESS_VERIFICATION')), `no business reason for a PSC: ${reasons}`);
      await record(rec, page, 'simulator-personal');
      await Promise.all([page.waitForURL(returnUrl()), panel(page).locator('form[action$="/simulate"] button[type=submit]').click()]);
      assert.equal(page.url(), returnUrl());

      const validated = await poll(`PSC ${psc.Id} VALIDATED`, () => pscNow(main.Id, psc.Id), (p) => p.Status !== 'PENDING_VALIDATION');
      assert.equal(validated.Status, 'VALIDATED', JSON.stringify(validated, null, 1));
      assert.ok(validated.ValidationDate, 'ValidationDate set');
      assert.equal((await api.getSession(psc.SessionId)).Status, 'VALIDATED');
      assert.equal((await api.getSession(main.Id)).Status, 'VALIDATED');
      // Its only PSC validated, the company is verified.
      await poll(`user ${user.Id} REGULAR`, () => api.call('GET', `/users/${user.Id}`), (u) => u.KYCLevel === 'REGULAR');

      await page.goto(psc.HostedUrl);
      assert.equal(await heading(page), 'This verification is closed');
      assert.equal(await statusText(page), 'Your identity has been verified.');
      assert.equal(await panel(page).count(), 0);
      await record(rec, page, 'simulator-validated');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });
});
