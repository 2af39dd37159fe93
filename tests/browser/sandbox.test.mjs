// The sandbox simulator under every page of a sandbox session: complete as validated or as
// refused with a chosen reason (the API then reports it), or fill the photo steps with the
// sample documents.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Api, Recorder, TIMEOUT, SUBMITTED_OR_DECIDED, launch, watch, pageIssues, returnUrl, stepUrl, goOn, submitStep, heading, statusText } from './lib.mjs';

const api = new Api();
describe('sandbox simulator', { concurrency: 4 }, () => {
  let chrome;

  before(async () => {
    chrome = await launch();
  });
  after(async () => {
    await chrome?.close();
  });

  const panel = (page) => page.locator('section.sandbox');

  async function complete(page) {
    await Promise.all([page.waitForURL(returnUrl()), panel(page).locator('form[action$="/simulate"] button[type=submit]').click()]);
  }

  test('simulator: complete as validated (phone)', { timeout: TIMEOUT }, async () => {
    const { session, hostedUrl } = await api.newSession('NATURAL');
    const ctx = await chrome.context('phone');
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('sandbox', 'phone');
    try {
      await page.goto(hostedUrl);
      assert.equal((await panel(page).locator('h2').innerText()).trim(), 'Sandbox simulator');
      assert.equal(await page.isChecked('#sim-validated'), true, 'validated is the default outcome');
      assert.equal(await page.locator('#sim-review').count(), 0, 'no review outcome for a natural user');
      await rec.page(page, 'welcome-panel');
      await complete(page);
      assert.equal(page.url(), returnUrl());
      assert.equal((await api.getSession(session.Id)).Status, 'VALIDATED');

      await page.goto(hostedUrl);
      assert.equal(await statusText(page), 'Your identity has been verified.');
      assert.equal(await panel(page).count(), 0);
      await rec.page(page, 'validated');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });

  test('simulator: refused with a chosen reason (desktop)', { timeout: TIMEOUT }, async () => {
    const { session, hostedUrl } = await api.newSession('NATURAL');
    const ctx = await chrome.context('desktop');
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('sandbox', 'desktop');
    try {
      await page.goto(hostedUrl);
      await goOn(page, 'welcome', 'personal');
      const options = await page.locator('#sim-reason option').evaluateAll((os) => os.map((o) => o.value));
      assert.ok(options.includes('DOCUMENT_FALSIFIED@IDENTITY_DOCUMENT_VERIFICATION'), `reasons offered: ${options}`);
      assert.ok(!options.some((o) => o.endsWith('@BUSINESS_VERIFICATION')), 'no business reason for a natural user');
      await page.check('#sim-refused');
      await page.selectOption('#sim-reason', 'DOCUMENT_FALSIFIED@IDENTITY_DOCUMENT_VERIFICATION');
      await rec.page(page, 'personal-panel-refused');
      await complete(page);

      const s = await api.getSession(session.Id);
      assert.equal(s.Status, 'REFUSED');
      const check = s.Checks.find((c) => c.Type === 'IDENTITY_DOCUMENT_VERIFICATION');
      assert.ok(check, `checks: ${JSON.stringify(s.Checks)}`);
      assert.equal(check.CheckStatus, 'REFUSED');
      assert.deepEqual(check.Reasons.map((r) => r.Type), ['DOCUMENT_FALSIFIED']);

      await page.goto(hostedUrl);
      assert.match(await statusText(page), /^This verification was not successful\. .+ will tell you what to do next\.$/);
      await rec.page(page, 'refused');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });

  for (const viewport of ['phone', 'desktop']) {
    test(`simulator: "use sample documents" fills the photo steps (${viewport})`, { timeout: TIMEOUT }, async () => {
      const { session, hostedUrl } = await api.newSession('NATURAL');
      const ctx = await chrome.context(viewport);
      const page = await ctx.newPage();
      watch(page);
      const rec = new Recorder('sandbox', viewport);
      try {
        await page.goto(hostedUrl);
        await goOn(page, 'welcome', 'personal');
        await goOn(page, 'personal', 'document');
        await Promise.all([
          page.waitForURL(stepUrl('review'), { waitUntil: 'load' }),
          panel(page).locator('form[action$="/samples"] button[type=submit]').click(),
        ]);
        assert.equal(await heading(page), 'Check and submit');
        const review = await page.locator('main dl.summary').innerText();
        assert.match(review, /Identity card · France/);
        assert.match(review, /✓ Front, ✓ Back, ✓ Selfie/);
        await rec.page(page, 'samples-review');

        await page.goto(hostedUrl.replace(/\?.*$/, '/step/selfie'));
        assert.match(await page.locator('main p.ok[role=status]').innerText(), /Photo saved/);

        await page.goto(hostedUrl.replace(/\?.*$/, '/step/review'));
        await Promise.all([page.waitForURL(returnUrl()), submitStep(page, 'review')]);
        await page.goto(hostedUrl);
        // Submitted: the engine decides the sandbox session too (these test photos carry no MRZ, so
        // it refuses them) — the page says one or the other, whichever came first.
        assert.match(await statusText(page), SUBMITTED_OR_DECIDED);
        assert.deepEqual(await pageIssues(page), []);
        rec.assertAccessible();
      } finally {
        await ctx.close();
      }
    });
  }
});
