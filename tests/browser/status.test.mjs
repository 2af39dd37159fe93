// Pages of links that cannot be used: an expired session, a token that does not exist.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Api, Recorder, TIMEOUT, env, launch, watch, pageIssues, returnUrl, heading, statusText, axeViolations } from './lib.mjs';

const api = new Api();
describe('closed and invalid links', { concurrency: 3 }, () => {
  let chrome;

  before(async () => {
    chrome = await launch();
  });
  after(async () => {
    await chrome?.close();
  });

  for (const viewport of ['phone', 'desktop']) {
    test(`an expired session's link says so and accepts nothing (${viewport})`, { timeout: TIMEOUT }, async () => {
      const { session, hostedUrl } = await api.newSession('NATURAL');
      const expired = await api.expire(session.Id);
      assert.equal(expired.Status, 'EXPIRED');
      assert.equal((await api.getSession(session.Id)).Status, 'EXPIRED');

      const ctx = await chrome.context(viewport);
      const page = await ctx.newPage();
      watch(page);
      const rec = new Recorder('status', viewport);
      try {
        const response = await page.goto(hostedUrl);
        assert.equal(response.status(), 200);
        assert.match(new URL(page.url()).pathname, /^\/verify\/[^/]+$/, 'no redirect to a step');
        assert.equal(await heading(page), 'This verification is closed');
        assert.match(await statusText(page), /^This link has expired\. Ask .+ for a new one\.$/);
        assert.equal(await page.getAttribute('main a.button', 'href'), returnUrl());
        assert.equal(await page.locator('main form').count(), 0, 'no form in the page');
        assert.equal(await page.locator('.sandbox').count(), 0, 'no sandbox simulator');
        assert.equal(await page.locator('main .steps').count(), 0, 'no step list');
        await rec.page(page, 'expired');

        // A step link of the session is closed too.
        await page.goto(hostedUrl.replace(/\?.*$/, '/step/personal'));
        assert.match(await statusText(page), /^This link has expired\./);

        assert.deepEqual(await pageIssues(page), []);
        rec.assertAccessible();
      } finally {
        await ctx.close();
      }
    });
  }

  // Guards the audit itself: on a real page (its CSP refusing addScriptTag's inline script, so
  // the fallback injection is used), a planted image without a text alternative must be found.
  test('the accessibility audit finds a planted violation', { timeout: TIMEOUT }, async () => {
    const ctx = await chrome.context('desktop');
    const page = await ctx.newPage();
    try {
      await page.goto(`${env.baseUrl}/verify/not-a-real-token-${Date.now()}`);
      assert.deepEqual(await axeViolations(page), []);
      await page.evaluate(() => {
        const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').append(img);
      });
      const found = await axeViolations(page);
      assert.deepEqual(found.map((v) => v.id), ['image-alt']);
    } finally {
      await ctx.close();
    }
  });

  test('a link that does not exist gets a clear page (desktop)', { timeout: TIMEOUT }, async () => {
    const ctx = await chrome.context('desktop');
    const page = await ctx.newPage();
    const rec = new Recorder('status', 'desktop');
    try {
      const response = await page.goto(`${env.baseUrl}/verify/not-a-real-token-${Date.now()}`);
      assert.equal(response.status(), 404);
      assert.equal(await heading(page), 'This link is not valid');
      await page.getByText('Check that you opened the whole link you were given, or ask for a new one.').waitFor();
      await rec.page(page, 'invalid-link');
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });
});
