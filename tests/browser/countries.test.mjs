// Country lists hold every ISO 3166-1 country, named in the page's language and sorted as a
// reader expects; a search box narrows them as one types (accents optional), and a single match
// is chosen. A Nigerian, an Ivorian or a Moldovan can finish the flow.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Api, Recorder, TIMEOUT, launch, watch, pageIssues, goOn } from './lib.mjs';

const api = new Api();
describe('countries', { concurrency: 2 }, () => {
  let chrome;

  before(async () => {
    chrome = await launch();
  });
  after(async () => {
    await chrome?.close();
  });

  for (const viewport of ['phone', 'desktop']) {
    test(`every country, searchable (${viewport})`, { timeout: TIMEOUT }, async () => {
      const { hostedUrl } = await api.newSession('NATURAL');
      const ctx = await chrome.context(viewport);
      const page = await ctx.newPage();
      watch(page);
      const rec = new Recorder('countries', viewport);
      try {
        await page.goto(hostedUrl);
        await goOn(page, 'welcome', 'personal');
        const options = await page.locator('#nationality option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
        assert.equal(options.length, 250, 'an empty choice and 249 countries');
        const codes = new Set(options.map(([v]) => v));
        for (const code of ['NG', 'RU', 'PK', 'CI', 'RS', 'MD', 'AR']) assert.ok(codes.has(code), code);
        // Sorted by name, accents aside: "Åland Islands" among the A's, not after "Zimbabwe".
        const names = options.slice(1).map(([, t]) => t);
        assert.ok(names.indexOf('Åland Islands') < names.indexOf('Albania') + 3, 'Åland sorts with the A');
        assert.equal(names[names.length - 1], 'Zimbabwe');

        const search = page.locator('#nationality-search');
        assert.equal(await search.isVisible(), true, 'the script shows the search box');
        await search.fill('niger');
        const shown = await page.locator('#nationality option').evaluateAll((os) => os.filter((o) => o.value && !o.hidden).map((o) => o.value));
        assert.deepEqual(shown.sort(), ['NE', 'NG']);
        await search.fill('cote d');
        assert.equal(await page.inputValue('#nationality'), 'CI', 'one match is chosen: accents optional');
        await rec.page(page, 'personal-search');
        await goOn(page, 'personal', 'document');
        // The issuing country starts at the nationality, in the page's language.
        assert.equal(await page.inputValue('#country'), 'CI');
        await page.goto(page.url().replace(/\?.*$/, '') + '?lang=fr');
        assert.equal(await page.locator('#country option[value=DE]').textContent(), 'Allemagne');
        assert.deepEqual(await pageIssues(page), []);
        rec.assertAccessible();
      } finally {
        await ctx.close();
      }
    });
  }
});
