// Languages: switching with the selector (kept on the next step and on another device opening
// the same link), and the browser's Accept-Language choosing the first page's language.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Api, Recorder, TIMEOUT, launch, watch, pageIssues, stepUrl, goOn, heading } from './lib.mjs';

const api = new Api();
describe('languages', { concurrency: 3 }, () => {
  let chrome;

  before(async () => {
    chrome = await launch();
  });
  after(async () => {
    await chrome?.close();
  });

  for (const viewport of ['phone', 'desktop']) {
    test(`switching to German with the selector (${viewport})`, { timeout: TIMEOUT }, async () => {
      const { hostedUrl } = await api.newSession('NATURAL');
      const ctx = await chrome.context(viewport);
      const page = await ctx.newPage();
      watch(page);
      const rec = new Recorder('language', viewport);
      try {
        await page.goto(hostedUrl);
        assert.equal(await heading(page), "Let's verify your identity");
        assert.equal(await page.getAttribute('html', 'lang'), 'en');
        // The script submits the choice on change (its button is hidden).
        assert.equal(await page.locator('header form.lang button').isVisible(), false);
        await Promise.all([page.waitForURL(/[?&]lang=de/, { waitUntil: 'load' }), page.selectOption('#lang', 'de')]);
        assert.equal(await heading(page), 'Lassen Sie uns Ihre Identität prüfen');
        assert.equal(await page.getAttribute('html', 'lang'), 'de');
        assert.equal((await page.locator('label[for=lang]').innerText()).trim(), 'Sprache');
        assert.equal(await page.inputValue('#lang'), 'de');
        assert.equal((await page.locator('main form[action$="/step/welcome"] button').innerText()).trim(), 'Starten');
        assert.match(await page.title(), /^Lassen Sie uns Ihre Identität prüfen · /);
        await rec.page(page, 'welcome-de');

        // The next step is German too, without the parameter.
        await goOn(page, 'welcome', 'personal');
        assert.doesNotMatch(page.url(), /lang=/);
        assert.equal(await heading(page), 'Bestätigen Sie Ihre Angaben');
        assert.equal(await page.getAttribute('html', 'lang'), 'de');
        assert.equal((await page.locator('#birth_date-group legend').innerText()).trim(), 'Geburtsdatum');
        await rec.page(page, 'personal-de');
        assert.deepEqual(await pageIssues(page), []);
      } finally {
        await ctx.close();
      }

      // Another browser (English) opening the same link continues in German.
      const other = await chrome.context(viewport, { locale: 'en-US' });
      try {
        const page2 = await other.newPage();
        await page2.goto(hostedUrl);
        await page2.waitForURL(stepUrl('personal'));
        assert.equal(await heading(page2), 'Bestätigen Sie Ihre Angaben');
        assert.equal(await page2.getAttribute('html', 'lang'), 'de');
      } finally {
        await other.close();
      }
      rec.assertAccessible();
    });
  }

  test('Accept-Language chooses the language: fr-FR gets French (phone)', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const ctx = await chrome.context('phone', { locale: 'fr-FR' });
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('language', 'phone');
    try {
      const sent = page.waitForRequest((r) => /\/verify\//.test(r.url()));
      await page.goto(hostedUrl);
      assert.match((await sent).headers()['accept-language'] || '', /^fr-FR/);
      assert.equal(await heading(page), 'Vérifions votre identité');
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      assert.equal(await page.inputValue('#lang'), 'fr');
      assert.equal((await page.locator('main form[action$="/step/welcome"] button').innerText()).trim(), 'Commencer');
      await rec.page(page, 'welcome-fr');
      await goOn(page, 'welcome', 'personal');
      assert.equal(await heading(page), 'Confirmez vos informations');
      await rec.page(page, 'personal-fr');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });
});
