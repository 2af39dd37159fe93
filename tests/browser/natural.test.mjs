// A natural person goes through the whole hosted flow, on a phone and on a desktop: welcome,
// confirm details (with a validation error first), choose the document, three photos, review,
// submit -> back on the platform's ReturnUrl; the link then shows the "submitted" page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, Files, Recorder, TIMEOUT, SUBMITTED_OR_DECIDED, fillDate, launch, watch, pageIssues, returnUrl, stepUrl, goOn, submitStep, heading,
  uploadPhoto, fieldValues, statusText,
  browserWithImages,
} from './lib.mjs';

const api = new Api();
describe('natural person', { concurrency: 2 }, () => {
  const fx = browserWithImages();

  async function progressLabel(page) {
    return (await page.locator('main .progress').textContent()).trim();
  }

  for (const viewport of ['phone', 'desktop']) {
    test(`natural person completes the flow (${viewport})`, { timeout: TIMEOUT }, async () => {
      const { hostedUrl } = await api.newSession('NATURAL');
      const ctx = await fx.chrome.context(viewport);
      const page = await ctx.newPage();
      watch(page);
      const rec = new Recorder('natural', viewport);
      try {
        // Welcome
        await page.goto(hostedUrl);
        await page.waitForURL(stepUrl('welcome'));
        assert.equal(await heading(page), "Let's verify your identity");
        assert.equal(await progressLabel(page), 'Step 1 of 7');
        assert.equal(await page.getAttribute('html', 'lang'), 'en');
        await page.getByText('a valid passport, or an identity card or residence permit from an EU or EEA state or Switzerland').waitFor();
        await rec.page(page, 'welcome');
        await goOn(page, 'welcome', 'personal');

        // Confirm details: pre-filled from the user; a wrong date is refused with an error summary.
        assert.equal(await heading(page), 'Confirm your details');
        assert.equal(await progressLabel(page), 'Step 2 of 7');
        assert.deepEqual(await fieldValues(page, ['first_name', 'last_name', 'birth_date']), {
          first_name: 'Ada', last_name: 'Lovelace', birth_date: '1985-07-31',
        });
        assert.equal(await page.inputValue('#nationality'), 'FR');
        await rec.page(page, 'personal');
        // The date as day, month and year; a month 13 is refused, and what was typed stays.
        assert.equal((await page.locator('#birth_date-group legend').innerText()).trim(), 'Date of birth');
        await fillDate(page, 'birth_date', '1985-13-31');
        await Promise.all([page.waitForEvent('load'), submitStep(page, 'personal')]);
        const summary = page.locator('#error-summary');
        await summary.waitFor();
        assert.match(await summary.textContent(), /Enter a real date: day, month and year, for example 31 7 1985\./);
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'focus on the error summary');
        assert.equal(await page.getAttribute('#birth_date', 'aria-invalid'), 'true');
        assert.match(await page.getAttribute('#birth_date', 'aria-describedby'), /birth_date-error/);
        assert.equal(await page.inputValue('#birth_date_month'), '13');
        await rec.page(page, 'personal-error');
        await fillDate(page, 'birth_date', '1985-07-31');
        await page.fill('#first_name', 'Ada Augusta');
        await goOn(page, 'personal', 'document');

        // Document: the issuing country starts at the nationality; no type chosen -> an error;
        // then an identity card issued in France.
        assert.equal(await heading(page), 'Choose your identity document');
        assert.equal(await page.inputValue('#country'), 'FR');
        await rec.page(page, 'document');
        await Promise.all([page.waitForEvent('load'), submitStep(page, 'document')]);
        await page.locator('#error-summary').waitFor();
        assert.equal(await page.locator('#error-summary li').count(), 1);
        await rec.page(page, 'document-error');
        // The types follow the issuing country: no identity card from the United States (the
        // engine accepts cards of EU and EEA states and Switzerland), a passport from anywhere.
        await page.selectOption('#country', 'US');
        assert.equal(await page.isVisible('#doc-IDENTITY_CARD'), false);
        assert.equal(await page.isVisible('#doc-PASSPORT'), true);
        assert.equal(await page.locator('#doc-DRIVING_LICENCE').count(), 0, 'driving licences are never offered');
        await page.selectOption('#country', 'FR');
        assert.equal(await page.isVisible('#doc-IDENTITY_CARD'), true);
        await page.check('#doc-IDENTITY_CARD');
        await goOn(page, 'document', 'front');

        // Photos, through the file inputs.
        assert.equal(await heading(page), 'Photo of the front of your document');
        assert.equal(await progressLabel(page), 'Step 4 of 7');
        await rec.page(page, 'front');
        await uploadPhoto(page, 'front', fx.images.front, 'back');
        assert.equal(await heading(page), 'Photo of the back of your document');
        await rec.page(page, 'back');
        await uploadPhoto(page, 'back', fx.images.back, 'selfie');
        assert.equal(await heading(page), 'Take a selfie');
        await rec.page(page, 'selfie');
        await uploadPhoto(page, 'selfie', fx.images.selfie, 'review');

        // Review and submit.
        assert.equal(await heading(page), 'Check and submit');
        assert.equal(await progressLabel(page), 'Step 7 of 7');
        const review = await page.locator('main dl.summary').innerText();
        assert.match(review, /Ada Augusta Lovelace · 1985-07-31/);
        assert.match(review, /Identity card · France/);
        assert.match(review, /✓ Front, ✓ Back, ✓ Selfie/);
        // What was sent, small, each with a way to change it.
        const thumbs = page.locator('main .thumbs img.thumb');
        assert.equal(await thumbs.count(), 3);
        for (const loaded of await thumbs.evaluateAll((imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0 && i.naturalWidth <= 320))) {
          assert.ok(loaded, 'each thumbnail loads, at most 320 px wide');
        }
        assert.match(await page.locator('main .thumbs figcaption a').first().getAttribute('href'), /\/step\/front$/);
        await rec.page(page, 'review');
        await Promise.all([page.waitForURL(returnUrl()), submitStep(page, 'review')]);
        assert.equal(page.url(), returnUrl());

        // The link now says it was submitted, and accepts nothing more.
        await page.goto(hostedUrl);
        assert.equal(await heading(page), 'This verification is closed');
        // Submitted: the engine decides the sandbox session too (these test photos carry no MRZ, so
        // it refuses them) — the page says one or the other, whichever came first.
        assert.match(await statusText(page), SUBMITTED_OR_DECIDED);
        assert.equal(await page.getAttribute('main a.button', 'href'), returnUrl());
        assert.equal(await page.locator('.sandbox').count(), 0, 'no simulator on a submitted session');
        await rec.page(page, 'submitted');
        await page.goto(hostedUrl.replace(/\?.*$/, '/step/front'));
        assert.equal(await heading(page), 'This verification is closed', 'a step of a submitted session is closed too');

        assert.deepEqual(await pageIssues(page), []);
        rec.assertAccessible();
      } finally {
        await ctx.close();
      }
    });
  }
});
