// Figures of the natural flow on a phone viewport: per step, what a page load transfers and when
// it first renders (in the flow, with the browser cache warm, and cold in a fresh context), and
// how long a ~4 MB camera photo takes from sending the form to the next page being loaded.
// Written to results/figures.json and printed as a table. The only assertions are sanity checks
// and loose budgets; the figures themselves are for reading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  Api, Files, RESULTS, TIMEOUT, env, launch, stepUrl, submitStep, chooseDocument, bigJpeg,
  browserWithImages,
} from './lib.mjs';

const api = new Api();
const fx = browserWithImages();

/** Follows the network of a page: bodies (decoded) and bytes on the wire (CDP encodedDataLength). */
async function instrument(ctx, page) {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  const state = { window: null };
  cdp.on('Network.requestWillBeSent', (e) => {
    if (state.window && !/progress\.json/.test(e.request.url)) state.window.requests.set(e.requestId, { url: e.request.url, transfer: 0 });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = state.window?.requests.get(e.requestId);
    if (r) r.transfer = e.encodedDataLength;
  });
  page.on('response', (response) => {
    if (state.window && !/progress\.json/.test(response.url())) state.window.responses.push(response);
  });
  return {
    /** Runs `trigger`, waits for the page of `step` to be loaded, returns its figures. */
    async load(step, trigger) {
      state.window = { requests: new Map(), responses: [] };
      const started = Date.now();
      await Promise.all([page.waitForURL(stepUrl(step), { waitUntil: 'load', timeout: 90_000 }), trigger()]);
      const wallMs = Date.now() - started;
      // Polled from here with synchronous reads: in a page without JavaScript, timers inside an
      // evaluated function never fire.
      let timing = null;
      for (let i = 0; i < 40; i++) {
        timing = await page.evaluate(() => {
          const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
          const nav = performance.getEntriesByType('navigation')[0];
          return {
            fcpMs: at('first-contentful-paint'),
            fpMs: at('first-paint'),
            domContentLoadedMs: nav.domContentLoadedEventEnd,
            loadMs: nav.loadEventEnd,
            ttfbMs: nav.responseStart,
          };
        });
        if (timing.fcpMs !== null && timing.loadMs > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 100)); // let the last loadingFinished events arrive
      const w = state.window;
      state.window = null;
      let bodyBytes = 0;
      let documentBytes = 0;
      for (const response of w.responses) {
        let len = 0;
        try {
          // Redirects have no body; a body Chromium no longer holds must not stall the figures.
          len = (await Promise.race([response.body(), new Promise((_, no) => setTimeout(() => no(new Error('timeout')), 3000))])).length;
        } catch { /* a redirect */ }
        bodyBytes += len;
        if (response.request().resourceType() === 'document' && len) documentBytes = len;
      }
      const transferBytes = [...w.requests.values()].reduce((s, r) => s + r.transfer, 0);
      const round = (v) => (v === null ? null : Math.round(v));
      return {
        requests: w.responses.length,
        documentBytes,
        bodyBytes,
        transferBytes,
        fcpMs: round(timing.fcpMs),
        fpMs: round(timing.fpMs),
        ttfbMs: round(timing.ttfbMs),
        domContentLoadedMs: round(timing.domContentLoadedMs),
        loadMs: round(timing.loadMs),
        wallMs,
      };
    },
  };
}

/** The same step page opened in a fresh context: nothing cached. */
async function cold(url, step) {
  const ctx = await fx.chrome.context('phone');
  try {
    const page = await ctx.newPage();
    const net = await instrument(ctx, page);
    return await net.load(step, () => page.goto(url));
  } finally {
    await ctx.close();
  }
}

test('figures: natural flow on a phone, per step, and a 4 MB photo upload', { timeout: TIMEOUT * 2 }, async () => {
  const big = await bigJpeg(fx.chrome.browser);
  const bigFile = fx.files.write('IMG_4000x3000.jpg', big);
  const figures = {
    measuredAt: new Date().toISOString(),
    server: env.baseUrl,
    chromium: fx.chrome.browser.version(),
    viewport: 'phone 390x844 (isMobile, hasTouch)',
    note: 'flow: reached by the flow (POST, redirect, GET; browser cache warm); cold: the same step URL opened in a fresh context. bodyBytes: decoded bodies of the page load (document, CSS, script); transferBytes: bytes on the wire incl. headers (CDP encodedDataLength); times in ms from navigation start. For back, selfie and review the flow figures follow a photo upload (the fetch by the page script and its small JSON answer are counted; the upload request body is not).',
    steps: [],
    upload4MB: {},
  };

  const { hostedUrl } = await api.newSession('NATURAL');
  const link = (step) => hostedUrl.replace(/\?.*$/, `/step/${step}`);
  const ctx = await fx.chrome.context('phone');
  const page = await ctx.newPage();
  const net = await instrument(ctx, page);
  const record = async (step, flow) => {
    figures.steps.push({ step, flow, cold: await cold(step === 'welcome' ? hostedUrl : link(step), step) });
  };
  try {
    await record('welcome', await net.load('welcome', () => page.goto(hostedUrl)));
    await record('personal', await net.load('personal', () => submitStep(page, 'welcome')));
    await record('document', await net.load('document', () => submitStep(page, 'personal')));
    await page.check('#doc-IDENTITY_CARD');
    await page.selectOption('#country', 'FR');
    await record('front', await net.load('front', () => submitStep(page, 'document')));

    // The 4 MB photo through the page's script (downscaled in the browser, then sent by fetch).
    await page.setInputFiles('#file-front', bigFile);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && /\/step\/front$/.test(r.url()));
    const viaScript = await net.load('back', () => page.locator('main form[data-upload] button[type=submit]').click());
    const request = await sent;
    const sentBytes = Number((await request.allHeaders())['content-length']) || request.postDataBuffer()?.length || null;
    figures.upload4MB.withScript = { uploadToNextPageMs: viaScript.wallMs, requestBytes: sentBytes, nextPage: viaScript };
    await record('back', viaScript);

    await record('selfie', await net.load('selfie', async () => {
      await page.setInputFiles('#file-back', fx.images.back);
      await page.locator('main form[data-upload] button[type=submit]').click();
    }));
    await record('review', await net.load('review', async () => {
      await page.setInputFiles('#file-selfie', fx.images.selfie);
      await page.locator('main form[data-upload] button[type=submit]').click();
    }));
    await Promise.all([page.waitForURL(`${env.baseUrl}/healthz`), submitStep(page, 'review')]);
  } finally {
    await ctx.close();
  }

  // The same photo as a plain form post (no script: the whole file goes to the server, which
  // decodes, scales down and re-encodes it).
  {
    const { hostedUrl: url2 } = await api.newSession('NATURAL');
    const ctx2 = await fx.chrome.context('phone', { javaScriptEnabled: false });
    const page2 = await ctx2.newPage();
    try {
      await page2.goto(url2);
      await Promise.all([page2.waitForURL(stepUrl('personal')), submitStep(page2, 'welcome')]);
      await Promise.all([page2.waitForURL(stepUrl('document')), submitStep(page2, 'personal')]);
      await chooseDocument(page2, 'IDENTITY_CARD', 'FR');
      await page2.setInputFiles('#file-front', bigFile);
      const net2 = await instrument(ctx2, page2);
      const sent2 = page2.waitForRequest((r) => r.method() === 'POST' && /\/step\/front$/.test(r.url()));
      const plain = await net2.load('back', () => page2.locator('main form[data-upload] button[type=submit]').click());
      const req2 = await sent2;
      const bytes2 = Number((await req2.allHeaders())['content-length']) || req2.postDataBuffer()?.length || null;
      figures.upload4MB.withoutScript = { uploadToNextPageMs: plain.wallMs, requestBytes: bytes2, nextPage: plain };
    } finally {
      await ctx2.close();
    }
  }
  figures.upload4MB.file = { bytes: big.length, width: 4000, height: 3000, type: 'image/jpeg' };

  fs.mkdirSync(RESULTS, { recursive: true });
  const out = path.join(RESULTS, 'figures.json');
  fs.writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);

  const kb = (b) => (b === null || b === undefined ? '-' : (b / 1024).toFixed(1));
  const ms = (v) => (v === null || v === undefined ? '-' : String(v));
  const rows = [['step', 'req', 'body KB', 'wire KB', 'FCP ms', 'load ms', '|', 'cold req', 'body KB', 'wire KB', 'FCP ms', 'load ms']];
  for (const s of figures.steps) {
    rows.push([s.step, s.flow.requests, kb(s.flow.bodyBytes), kb(s.flow.transferBytes), ms(s.flow.fcpMs), ms(s.flow.loadMs),
      '|', s.cold.requests, kb(s.cold.bodyBytes), kb(s.cold.transferBytes), ms(s.cold.fcpMs), ms(s.cold.loadMs)].map(String));
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const lines = rows.map((r) => r.map((c, i) => String(c).padStart(widths[i])).join('  '));
  const u = figures.upload4MB;
  lines.push(
    `4 MB photo (${(big.length / 1048576).toFixed(2)} MiB JPEG, 4000x3000), send -> next page loaded:`,
    `  with the page script (downscaled in the browser, ${kb(u.withScript.requestBytes)} KB sent): ${u.withScript.uploadToNextPageMs} ms`,
    `  plain form post (no script, ${kb(u.withoutScript.requestBytes)} KB sent): ${u.withoutScript.uploadToNextPageMs} ms`,
    `written to ${path.relative(process.cwd(), out) || out}`,
  );
  console.log(`\nHosted pages, natural flow, phone viewport (flow = warm cache, cold = fresh context)\n${lines.join('\n')}`);

  // Sanity and loose budgets (a debug build on a small machine must still pass).
  assert.ok(big.length > 3.5 * 1048576 && big.length < 6 * 1048576, `the big photo is ${big.length} bytes`);
  for (const s of figures.steps) {
    for (const [kind, f] of Object.entries({ flow: s.flow, cold: s.cold })) {
      assert.ok(f.documentBytes > 1000, `${s.step} (${kind}): document of ${f.documentBytes} bytes`);
      assert.ok(f.fcpMs !== null, `${s.step} (${kind}): no first-contentful-paint entry`);
      assert.ok(f.bodyBytes < 200 * 1024, `${s.step} (${kind}): ${f.bodyBytes} bytes for a page load`);
    }
  }
  assert.ok(u.withScript.requestBytes < big.length, 'the script sends less than the original photo');
});
