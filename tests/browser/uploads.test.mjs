// Uploads the server refuses, and photo steps already done.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, Files, Recorder, TIMEOUT, launch, watch, pageIssues, stepUrl, goOn, uploadPhoto, chooseDocument,
  browserWithImages,
} from './lib.mjs';

const api = new Api();
describe('uploads', { concurrency: 5 }, () => {
  const fx = browserWithImages();

  async function toFront(page, hostedUrl) {
    await page.goto(hostedUrl);
    await goOn(page, 'welcome', 'personal');
    await goOn(page, 'personal', 'document');
    await chooseDocument(page, 'IDENTITY_CARD', 'FR');
  }

  const NOT_A_PHOTO = 'This file type is not accepted. Use a JPEG, PNG or WebP photo, or a PDF.';

  /** Sends the upload form with `file` and waits until the server has answered. */
  async function sendUpload(page, file) {
    await page.setInputFiles('#file-front', file);
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && /\/step\/front$/.test(r.url()));
    await page.locator('main form[data-upload] button[type=submit]').click();
    const response = await answered;
    await page.waitForLoadState('load');
    return response;
  }

  // The normal case: the page's script sends the photo (fetch, JSON answer). A refused file must
  // still produce the page's error summary, focused, like every other form error.
  test('a text file renamed .jpg: the error summary shows the message and takes focus (phone)', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const ctx = await fx.chrome.context('phone');
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('upload-error', 'phone');
    try {
      await toFront(page, hostedUrl);
      const response = await sendUpload(page, fx.files.write('notes.jpg', 'Shopping list: bread, milk, eggs.\n'));
      assert.equal(response.status(), 400);
      const summary = page.locator('#error-summary');
      await summary.waitFor({ state: 'visible', timeout: 20_000 }).catch(() => {});
      const shown = await summary.isVisible();
      const where = shown ? '' : await page.evaluate(() => {
        const s = document.querySelector('[data-camera-status]');
        return ` (the script put ${JSON.stringify(s?.textContent)} into [data-camera-status], inside the hidden camera box: visible=${!!s?.offsetParent})`;
      });
      assert.ok(shown, `no error summary is shown after the server refused the file${where}`);
      assert.match(await summary.innerText(), new RegExp(NOT_A_PHOTO.replace(/[.()]/g, '\\$&')));
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'focus on the error summary');
      await rec.page(page, 'front-not-a-photo');
      // Then a real photo goes through.
      await uploadPhoto(page, 'front', fx.images.front, 'back');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });

  // Without the script (or when it falls back to a plain form post) the server renders the page
  // with the error summary.
  test('a text file renamed .jpg, without JavaScript: the error summary shows the message (desktop)', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const ctx = await fx.chrome.context('desktop', { javaScriptEnabled: false });
    const page = await ctx.newPage();
    const rec = new Recorder('upload-error', 'desktop');
    try {
      await toFront(page, hostedUrl);
      const response = await sendUpload(page, fx.files.write('notes.jpg', 'Shopping list: bread, milk, eggs.\n'));
      assert.equal(response.status(), 400);
      const summary = page.locator('#error-summary');
      assert.equal(await summary.isVisible(), true);
      assert.equal(await summary.getAttribute('role'), 'alert');
      assert.match(await summary.innerText(), /Please correct the following:/);
      assert.equal((await summary.locator('li').innerText()).trim(), NOT_A_PHOTO);
      await rec.page(page, 'front-not-a-photo-nojs', { scripting: false });
      await uploadPhoto(page, 'front', fx.images.front, 'back');
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });

  // The summary's entry is a link to the field in error, here the file input.
  test('the error summary links to the file input', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const ctx = await fx.chrome.context('desktop', { javaScriptEnabled: false });
    const page = await ctx.newPage();
    try {
      await toFront(page, hostedUrl);
      await sendUpload(page, fx.files.write('notes.jpg', 'not a photo\n'));
      const href = await page.locator('#error-summary li a').getAttribute('href');
      const target = await page.evaluate((h) => {
        const el = document.getElementById(h.slice(1));
        return el ? `${el.tagName.toLowerCase()}#${el.id}` : null;
      }, href);
      assert.equal(target, 'input#file-front', `the summary links to ${href}, which is ${target ? target : 'no element of the page'}`);
    } finally {
      await ctx.close();
    }
  });

  test('a file over the limit: the message states the limit', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const ctx = await fx.chrome.context('desktop', { javaScriptEnabled: false });
    const page = await ctx.newPage();
    try {
      await toFront(page, hostedUrl);
      const response = await sendUpload(page, fx.files.write('huge.jpg', Buffer.alloc(11 * 1024 * 1024, 0x41)));
      assert.equal(response.status(), 400);
      const message = (await page.locator('#error-summary li').innerText()).trim();
      assert.equal(message, 'The file is too large. The limit is 10 MB.');
    } finally {
      await ctx.close();
    }
  });

  // A photo step already done (after "Back", or reopened to replace the photo) must stay put: its
  // progress poller reloads the page when the step is done, which it already is.
  test('a finished photo step does not reload by itself', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const ctx = await fx.chrome.context('phone');
    const page = await ctx.newPage();
    try {
      await toFront(page, hostedUrl);
      await uploadPhoto(page, 'front', fx.images.front, 'back');
      await Promise.all([page.waitForURL(stepUrl('front'), { waitUntil: 'load' }), page.locator('main a.back').click()]);
      let loads = 0;
      page.on('load', () => loads++);
      await page.waitForTimeout(7_000);
      assert.equal(loads, 0, `the page reloaded ${loads} times in 7 s (a file being chosen would be lost each time)`);
    } finally {
      await ctx.close();
    }
  });
});
