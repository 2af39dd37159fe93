// The selfie step's active liveness check in Chromium, whose fake capture device plays a clip we
// build: the bundled real portrait (crates/corpus/assets/portrait.png), still. The page asks for
// a challenge, announces "look at the camera" then each instruction in a live region, captures
// a frame each time and sends them; the step is then done. A still clip is what a photo held up
// to the camera gives: the server's rules refuse it (crates/verity/tests/api/engine/biometrics.rs
// checks that decision; no real head-turn clip of one person can be had from the registries).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Api, Files, Recorder, TIMEOUT, launch, watch, pageIssues, goOn, uploadPhoto, chooseDocument, stepUrl,
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PORTRAIT = path.join(here, '../../crates/corpus/assets/portrait.png');

/** A YUV4MPEG2 clip (4:2:0) of the portrait centred on a 640x480 wall, `frames` frames long. */
async function stillClip(browser, file, frames = 10) {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const png = fs.readFileSync(PORTRAIT).toString('base64');
    const rgba = await page.evaluate(async (b64) => {
      const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
      const canvas = new OffscreenCanvas(640, 480);
      const g = canvas.getContext('2d');
      g.fillStyle = '#b4aaa0';
      g.fillRect(0, 0, 640, 480);
      const h = 420, w = Math.round(img.width * h / img.height);
      g.drawImage(img, (640 - w) / 2, 30, w, h);
      return Array.from(g.getImageData(0, 0, 640, 480).data);
    }, png);
    const [W, H] = [640, 480];
    const y = Buffer.alloc(W * H), u = Buffer.alloc(W * H / 4), v = Buffer.alloc(W * H / 4);
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const k = (j * W + i) * 4, [r, g, b] = [rgba[k], rgba[k + 1], rgba[k + 2]];
        y[j * W + i] = Math.round(0.257 * r + 0.504 * g + 0.098 * b + 16);
        if (j % 2 === 0 && i % 2 === 0) {
          const c = (j / 2) * (W / 2) + i / 2;
          u[c] = Math.round(-0.148 * r - 0.291 * g + 0.439 * b + 128);
          v[c] = Math.round(0.439 * r - 0.368 * g - 0.071 * b + 128);
        }
      }
    }
    const parts = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
    for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), y, u, v);
    fs.writeFileSync(file, Buffer.concat(parts));
  } finally {
    await ctx.close();
  }
}

const api = new Api();
describe('liveness', { concurrency: 1 }, () => {
  let plain;
  let chrome;
  let files;
  let images;
  let clipDir;

  before(async () => {
    plain = await launch();
    files = new Files();
    images = await files.standard(plain.browser);
    clipDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verity-clip-'));
    const clip = path.join(clipDir, 'portrait.y4m');
    await stillClip(plain.browser, clip);
    chrome = await launch([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${clip}`,
    ]);
  });
  after(async () => {
    await chrome?.close();
    await plain?.close();
    files?.cleanup();
    if (clipDir) fs.rmSync(clipDir, { recursive: true, force: true });
  });

  for (const viewport of ['phone', 'desktop']) {
    test(`the challenge is announced step by step and its frames complete the selfie step (${viewport})`, { timeout: TIMEOUT }, async () => {
      const { hostedUrl } = await api.newSession('NATURAL');
      const ctx = await chrome.context(viewport, { permissions: ['camera'] });
      const page = await ctx.newPage();
      watch(page);
      const rec = new Recorder('liveness', viewport);
      try {
        await page.goto(hostedUrl);
        await goOn(page, 'welcome', 'personal');
        await goOn(page, 'personal', 'document');
        await chooseDocument(page, 'PASSPORT', 'FR');
        await uploadPhoto(page, 'front', images.front, 'selfie');
        const box = page.locator('main [data-liveness]');
        assert.equal(await box.isVisible(), true, 'the liveness check is offered where a camera can be asked for');
        const prompt = box.locator('[data-liveness-prompt]');
        assert.equal(await prompt.getAttribute('aria-live'), 'assertive', 'instructions are announced');
        assert.equal(await prompt.getAttribute('role'), 'status');
        await rec.page(page, 'selfie-liveness-offered');
        // Every instruction the server chose shows in turn (kept in sessionStorage, which
        // outlives the page), then the page moves on by itself.
        await page.evaluate(() => {
          const el = document.querySelector('[data-liveness-prompt]');
          const texts = [];
          new MutationObserver(() => {
            if (texts[texts.length - 1] !== el.textContent) texts.push(el.textContent);
            sessionStorage.setItem('prompts', JSON.stringify(texts));
          }).observe(el, { childList: true, characterData: true, subtree: true });
        });
        await box.locator('[data-liveness-start]').click();
        await prompt.filter({ hasText: 'Look straight at the camera.' }).waitFor();
        // The camera plays the clip (what the frames are cut from): the portrait on its wall,
        // not a black or empty picture.
        await page.waitForFunction(() => document.querySelector('[data-camera] video').videoWidth > 0);
        const picture = await page.evaluate(() => {
          const v = document.querySelector('[data-camera] video');
          const c = document.createElement('canvas');
          c.width = v.videoWidth; c.height = v.videoHeight;
          const g = c.getContext('2d');
          g.drawImage(v, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          let sum = 0, sq = 0;
          for (let i = 0; i < d.length; i += 4) { const l = (d[i] + d[i + 1] + d[i + 2]) / 3; sum += l; sq += l * l; }
          const n = d.length / 4, mean = sum / n;
          return { width: c.width, height: c.height, mean, spread: Math.sqrt(sq / n - mean * mean) };
        });
        assert.equal(picture.width, 640, JSON.stringify(picture));
        assert.ok(picture.mean > 60 && picture.spread > 20, `the camera shows the clip: ${JSON.stringify(picture)}`);
        assert.equal(await page.locator('main [data-start-camera]').isVisible(), false, 'one camera control at a time');
        // The guide frames the picture, not the instructions or the buttons below it.
        const video = await page.locator('[data-camera] video').boundingBox();
        const guide = await page.locator('[data-camera] .guide').boundingBox();
        assert.ok(guide.y >= video.y && guide.y + guide.height <= video.y + video.height + 1
          && guide.x >= video.x && guide.x + guide.width <= video.x + video.width + 1,
          `the guide ${JSON.stringify(guide)} lies within the picture ${JSON.stringify(video)}`);
        await rec.page(page, 'selfie-liveness-facing');
        await page.waitForURL(stepUrl('review'), { waitUntil: 'load', timeout: 60_000 });
        const seen = JSON.parse(await page.evaluate(() => sessionStorage.getItem('prompts')) || '[]');
        const prompts = seen.filter((t) => /Turn your head|Bring your face/.test(t));
        assert.equal(prompts.length, 3, `three instructions shown, got ${JSON.stringify(seen)}`);
        assert.deepEqual(new Set(prompts), new Set([
          'Turn your head slowly to your left.', 'Turn your head slowly to your right.', 'Bring your face closer to the camera.',
        ]));
        // The review step lists the selfie as done.
        assert.match(await page.locator('main').innerText(), /selfie/i);
        await rec.page(page, 'review-after-liveness');
        assert.deepEqual(await pageIssues(page), []);
        rec.assertAccessible();
      } finally {
        await ctx.close();
      }
    });
  }
});
