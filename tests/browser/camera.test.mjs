// Photo steps without a usable camera: "Use the camera" then shows the camera-denied message,
// focus moves to the file input, and the file input still does the job. Also the desktop
// hand-off panel on a phone-sized screen.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, Files, Recorder, TIMEOUT, launch, watch, pageIssues, goOn, uploadPhoto, chooseDocument,
  browserWithImages,
} from './lib.mjs';

const api = new Api();
describe('camera', { concurrency: 3 }, () => {
  const fx = browserWithImages();

  async function toFront(page, hostedUrl) {
    await page.goto(hostedUrl);
    await goOn(page, 'welcome', 'personal');
    await goOn(page, 'personal', 'document');
    await chooseDocument(page, 'IDENTITY_CARD', 'FR');
  }

  async function cameraRefused(page, rec, name, step) {
    const start = page.locator('main [data-start-camera]');
    const denied = page.locator('main [data-camera-denied]');
    assert.equal(await start.isVisible(), true, '"Use the camera" is offered when the browser has getUserMedia');
    assert.equal((await start.innerText()).trim(), 'Use the camera');
    assert.equal(await denied.isVisible(), false);
    await start.click();
    await denied.waitFor({ state: 'visible' });
    assert.equal((await denied.innerText()).trim(), 'The camera is not available. You can take or choose a photo instead.');
    assert.equal(await denied.getAttribute('role'), 'alert');
    assert.equal(await start.isVisible(), false);
    assert.equal(await page.locator('main [data-camera]').isVisible(), false, 'no live camera box');
    assert.equal(await page.evaluate(() => document.activeElement?.id), `file-${step}`, 'focus on the file input');
    await rec.page(page, name);
  }

  test('no camera on the device: the message shows and the file input works (phone)', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    // No camera permission granted, and headless Chromium has no capture device: getUserMedia rejects.
    const ctx = await fx.chrome.context('phone', { permissions: [] });
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('camera', 'phone');
    try {
      await toFront(page, hostedUrl);
      assert.equal(await page.evaluate(() => navigator.mediaDevices.getUserMedia({ video: true }).then(() => 'granted', (e) => e.name)), 'NotFoundError');
      await cameraRefused(page, rec, 'front-camera-unavailable', 'front');
      await uploadPhoto(page, 'front', fx.images.front, 'back');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });

  test('camera permission refused: the message shows and the file input works (desktop)', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const ctx = await fx.chrome.context('desktop', { permissions: [] });
    // The person answers "Block" to the camera prompt.
    await ctx.addInitScript(() => {
      if (navigator.mediaDevices) {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
      }
    });
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('camera', 'desktop');
    try {
      await toFront(page, hostedUrl);
      await uploadPhoto(page, 'front', fx.images.front, 'back');
      await uploadPhoto(page, 'back', fx.images.back, 'selfie');
      await cameraRefused(page, rec, 'selfie-camera-refused', 'selfie');
      await uploadPhoto(page, 'selfie', fx.images.selfie, 'review');
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });

  // The "Continue on your phone" panel shows the step's full link; in a narrow window the long
  // unbroken link must wrap instead of making the whole page scroll sideways (WCAG 1.4.10). On a
  // phone itself the panel is not offered.
  test('the hand-off link fits a narrow window, and is not offered on a phone', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('NATURAL');
    const phone = await fx.chrome.context('phone');
    try {
      const page = await phone.newPage();
      await toFront(page, hostedUrl);
      assert.equal(await page.locator('main details[data-handoff]').isVisible(), false, 'no hand-off on a phone');
    } finally {
      await phone.close();
    }
    const ctx = await fx.chrome.context('desktop', { viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    try {
      await page.goto(hostedUrl.replace(/\?.*$/, '/step/front'));
      await page.locator('main details[data-handoff] summary').click();
      await page.locator('main details[data-handoff] a').waitFor({ state: 'visible' });
      const [scrollWidth, clientWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      const linkRight = await page.locator('main details[data-handoff] a').evaluate((a) => Math.round(a.getBoundingClientRect().right));
      assert.ok(scrollWidth <= clientWidth,
        `the page is ${scrollWidth}px wide on a ${clientWidth}px screen once "Continue on your phone" is opened (the link ends at ${linkRight}px)`);
    } finally {
      await ctx.close();
    }
  });
});
