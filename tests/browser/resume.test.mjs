// Closing the page and opening the link again (a new browser context: no cookies, no cache)
// continues at the first unfinished step, with everything entered so far kept.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, Files, Recorder, TIMEOUT, fillDate, dateValue, launch, watch, pageIssues, stepUrl, goOn, heading, uploadPhoto, chooseDocument,
  browserWithImages,
} from './lib.mjs';

const api = new Api();
describe('resume', { concurrency: 2 }, () => {
  const fx = browserWithImages();

  for (const viewport of ['phone', 'desktop']) {
    test(`a reopened link continues where it stopped, data kept (${viewport})`, { timeout: TIMEOUT }, async () => {
      const { hostedUrl } = await api.newSession('NATURAL');
      const stepLink = (step) => hostedUrl.replace(/\?.*$/, `/step/${step}`);
      const rec = new Recorder('resume', viewport);

      // First visit: a few steps, then the page is closed.
      const first = await fx.chrome.context(viewport);
      const page1 = await first.newPage();
      await page1.goto(hostedUrl);
      await goOn(page1, 'welcome', 'personal');
      await page1.fill('#first_name', 'Ada Maria');
      await fillDate(page1, 'birth_date', '1985-08-01');
      await goOn(page1, 'personal', 'document');
      await chooseDocument(page1, 'IDENTITY_CARD', 'BE');
      await uploadPhoto(page1, 'front', fx.images.front, 'back');
      await first.close();

      // Second visit, from scratch.
      const second = await fx.chrome.context(viewport);
      const page = await second.newPage();
      watch(page);
      try {
        await page.goto(hostedUrl);
        await page.waitForURL(stepUrl('back'));
        assert.equal(await heading(page), 'Photo of the back of your document');
        assert.equal((await page.locator('main .progress').innerText()).trim(), 'Step 5 of 7');
        await rec.page(page, 'back');

        await page.goto(stepLink('welcome'));
        assert.equal((await page.locator('main form[action$="/step/welcome"] button').innerText()).trim(), 'Continue where you stopped');
        await rec.page(page, 'welcome');

        await page.goto(stepLink('personal'));
        assert.equal(await page.inputValue('#first_name'), 'Ada Maria');
        assert.equal(await page.inputValue('#last_name'), 'Lovelace');
        assert.equal(await dateValue(page, 'birth_date'), '1985-08-01');
        assert.equal(await page.inputValue('#nationality'), 'FR');

        await page.goto(stepLink('document'));
        assert.equal(await page.isChecked('#doc-IDENTITY_CARD'), true);
        assert.equal(await page.inputValue('#country'), 'BE');

        await page.goto(stepLink('front'));
        assert.equal((await page.locator('main p.ok[role=status]').innerText()).trim(), '✓ Photo saved. You can continue or replace it.');
        assert.equal((await page.locator('main form[data-upload] button[type=submit]').innerText()).trim(), 'Replace this file');
        await rec.page(page, 'front-saved');
        await goOn(page, 'front', 'back', { form: ':has(input[name=action][value=continue])' });

        // And the flow goes on from there.
        await uploadPhoto(page, 'back', fx.images.back, 'selfie');
        await uploadPhoto(page, 'selfie', fx.images.selfie, 'review');
        const review = await page.locator('main dl.summary').innerText();
        assert.match(review, /Ada Maria Lovelace · 1985-08-01/);
        assert.match(review, /Identity card · Belgium/);
        assert.ok(await page.locator('main form[action$="/step/review"] button').isVisible(), 'ready to submit');

        assert.deepEqual(await pageIssues(page), []);
        rec.assertAccessible();
      } finally {
        await second.close();
      }
    });
  }
});
