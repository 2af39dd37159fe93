// Helpers of the browser tests: the REST API (plain fetch), Chromium (playwright-core driving
// Debian's /usr/bin/chromium), accessibility audits (axe-core), screenshots, generated images
// and the steps of the hosted flow.
//
// Environment (set by the Rust suite, which starts the server):
//   VERITY_BASE_URL   e.g. http://127.0.0.1:PORT
//   VERITY_CLIENT_ID  a sandbox client
//   VERITY_API_KEY    its API key
//   VERITY_PSC_CLIENT_ID, VERITY_PSC_API_KEY
//                     a second sandbox client, with the PSC flow on (psc.test.mjs)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = path.join(HERE, 'screenshots');
export const RESULTS = path.join(HERE, 'results');
const AXE_PATH = path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js');

export const CHROMIUM = process.env.VERITY_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Per-test time limit for node:test (a flow takes a few seconds; the 4 MB uploads more on a debug build). */
export const TIMEOUT = 300_000;

// ---------------------------------------------------------------------------------------------
// Environment

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: the browser tests need VERITY_BASE_URL, VERITY_CLIENT_ID, VERITY_API_KEY, VERITY_PSC_CLIENT_ID and VERITY_PSC_API_KEY (see tests/browser/README.md)`);
  }
  return v;
}

export const env = {
  get baseUrl() { return required('VERITY_BASE_URL').replace(/\/+$/, ''); },
  get clientId() { return required('VERITY_CLIENT_ID'); },
  get apiKey() { return required('VERITY_API_KEY'); },
  /** A second sandbox client, with the PSC flow on (`clients set-policy ID --psc-flow on`). */
  get pscClientId() { return required('VERITY_PSC_CLIENT_ID'); },
  get pscApiKey() { return required('VERITY_PSC_API_KEY'); },
};

/** The return URL given to sessions: on the same server, so following the redirect works offline. */
export function returnUrl() {
  return `${env.baseUrl}/healthz`;
}

// ---------------------------------------------------------------------------------------------
// REST API

const unique = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
/** Unix seconds of a UTC date. */
export const unixDate = (y, m, d) => Date.UTC(y, m - 1, d) / 1000;

export class Api {
  #token = null;
  #clientId;
  #apiKey;

  /** The client of VERITY_CLIENT_ID by default, or another one (e.g. `env.pscClientId`). */
  constructor({ clientId, apiKey } = {}) {
    this.#clientId = clientId;
    this.#apiKey = apiKey;
  }

  get clientId() { return this.#clientId ?? env.clientId; }

  async token() {
    if (this.#token) return this.#token;
    const basic = Buffer.from(`${this.clientId}:${this.#apiKey ?? env.apiKey}`).toString('base64');
    const r = await fetch(`${env.baseUrl}/v2.01/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const body = await r.text();
    assert.equal(r.status, 200, `token request failed: ${r.status} ${body}`);
    this.#token = JSON.parse(body).access_token;
    return this.#token;
  }

  async call(method, route, json) {
    const r = await fetch(`${env.baseUrl}/v2.01/${this.clientId}${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${await this.token()}`,
        ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${route} answered ${r.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  createNatural(overrides = {}) {
    return this.call('POST', '/users/natural', {
      FirstName: 'Ada',
      LastName: 'Lovelace',
      Email: `ada.${unique()}@example.com`,
      Birthday: unixDate(1985, 7, 31),
      Nationality: 'FR',
      CountryOfResidence: 'FR',
      TermsAndConditionsAccepted: true,
      UserCategory: 'OWNER',
      ...overrides,
    });
  }

  /** type: BUSINESS | SOLETRADER | ORGANIZATION */
  createLegal(type, overrides = {}) {
    const names = { BUSINESS: 'Lumen Robotics SAS', SOLETRADER: 'Atelier Berthe Morel', ORGANIZATION: 'Les Amis du Vélo' };
    return this.call('POST', '/users/legal', {
      Name: names[type] || 'Company',
      LegalPersonType: type,
      Email: `company.${unique()}@example.com`,
      CompanyNumber: '552100554',
      HeadquartersAddress: { AddressLine1: '12 rue des Lilas', City: 'Lyon', PostalCode: '69003', Country: 'FR' },
      LegalRepresentativeFirstName: 'Berthe',
      LegalRepresentativeLastName: 'Morel',
      LegalRepresentativeEmail: `berthe.${unique()}@example.com`,
      LegalRepresentativeBirthday: unixDate(1979, 3, 14),
      LegalRepresentativeNationality: 'FR',
      LegalRepresentativeCountryOfResidence: 'FR',
      TermsAndConditionsAccepted: true,
      UserCategory: 'OWNER',
      ...overrides,
    });
  }

  createSession(userId, tag = 'browser-test') {
    return this.call('POST', `/users/${userId}/identity-verifications`, { ReturnUrl: returnUrl(), Tag: tag });
  }

  getSession(id) {
    return this.call('GET', `/identity-verifications/${id}`);
  }

  expire(id) {
    return this.call('POST', `/sandbox/identity-verifications/${id}/expire`);
  }

  /** A user of `kind` (NATURAL, BUSINESS, SOLETRADER, ORGANIZATION) and a fresh session for it. */
  async newSession(kind = 'NATURAL') {
    const user = kind === 'NATURAL' ? await this.createNatural() : await this.createLegal(kind);
    const session = await this.createSession(user.Id);
    assert.match(session.HostedUrl, /\/verify\/[^/?]+/, 'HostedUrl');
    return { user, session, hostedUrl: session.HostedUrl, token: session.HostedUrl.match(/\/verify\/([^/?]+)/)[1] };
  }
}

// ---------------------------------------------------------------------------------------------
// Browser

export const VIEWPORTS = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  desktop: { viewport: { width: 1280, height: 800 } },
  // The console's screenshots: a reviewer's laptop or office screen.
  console: { viewport: { width: 1440, height: 900 } },
};

/** Starts Chromium on a fresh, throw-away user-data-dir (with `extraArgs`, e.g. a fake camera). */
export async function launch(extraArgs = []) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verity-chromium-'));
  const persistent = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  const browser = persistent.browser();
  return {
    browser,
    /** A new isolated context (cookies, cache) for one viewport. */
    async context(viewport = 'desktop', options = {}) {
      const ctx = await browser.newContext({ ...VIEWPORTS[viewport], locale: 'en-GB', ...options });
      ctx.setDefaultTimeout(10_000);
      ctx.setDefaultNavigationTimeout(20_000);
      return ctx;
    },
    async close() {
      await persistent.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects a page's uncaught script errors and console errors (Chromium reports
 * Content-Security-Policy violations there), across navigations; read with `pageIssues`.
 * A 400 answer (a form with errors) and a missing favicon are expected, not issues.
 */
export function watch(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const where = m.location()?.url || '';
    if (m.type() !== 'error') return;
    if (/status of 400/.test(m.text()) || /favicon\.ico/.test(where + m.text())) return;
    // The CSP refusing axe-core's own injection (see injectAxe) is the policy working.
    if (page.__injectingAxe && /Content Security Policy/.test(m.text())) return;
    errors.push(`console error: ${m.text()} (${where})`);
  });
  page.__errors = errors;
  return errors;
}

export async function pageIssues(page) {
  return [...(page.__errors || [])];
}

// ---------------------------------------------------------------------------------------------
// Screenshots and accessibility

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
let axeSource = null;

async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe === 'object')) return;
  page.__injectingAxe = true;
  try {
    await page.addScriptTag({ path: AXE_PATH });
  } catch (e) {
    // The pages' Content-Security-Policy (script-src 'self') refuses inline scripts, which is how
    // addScriptTag injects a file. The policy stays on (it is part of what is tested); the same
    // file is then evaluated through the DevTools protocol, which the policy does not govern.
    if (!/Content Security Policy/i.test(e.message)) throw e;
    axeSource ??= fs.readFileSync(AXE_PATH, 'utf8');
    await page.evaluate(`${axeSource}\n;void 0`);
  } finally {
    page.__injectingAxe = false;
  }
  assert.equal(await page.evaluate(() => typeof window.axe), 'object', 'axe-core could not be injected');
}

export async function axeViolations(page) {
  await injectAxe(page);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary })),
    }));
  }, AXE_TAGS);
}

async function auditCopy(page, viewport) {
  const html = (await page.content()).replace(/<script\b[^>]*><\/script>/g, '');
  const url = page.url();
  const ctx = await page.context().browser().newContext({ ...VIEWPORTS[viewport], locale: 'en-GB' });
  try {
    const copy = await ctx.newPage();
    await copy.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await copy.goto(url);
    return await axeViolations(copy);
  } finally {
    await ctx.close();
  }
}

export function formatViolations(list) {
  return list
    .map(({ page, violations }) =>
      violations
        .map((v) => `  [${page}] ${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `      ${n.target}: ${n.html}\n        ${(n.summary || '').replace(/\n/g, '\n        ')}`).join('\n')}`)
        .join('\n'))
    .join('\n');
}

/**
 * Records every distinct page of a flow: a screenshot to screenshots/<flow>-<viewport>-<name>.png
 * and an axe-core audit; `assertAccessible` then fails with every violation found.
 */
export class Recorder {
  constructor(flow, viewport) {
    this.flow = flow;
    this.viewport = viewport;
    this.audited = [];
    this.violations = [];
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }

  /**
   * `scripting: false` for a page in a context without JavaScript, where axe-core cannot run: the
   * audit then runs on a copy of the page's markup (same URL, same style sheets, no script).
   */
  async page(page, name, { scripting = true } = {}) {
    await page.waitForLoadState('load');
    const file = path.join(SCREENSHOTS, `${this.flow}-${this.viewport}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const violations = scripting ? await axeViolations(page) : await auditCopy(page, this.viewport);
    this.audited.push(name);
    if (violations.length) this.violations.push({ page: `${this.flow}/${this.viewport}/${name} ${new URL(page.url()).pathname}`, violations });
  }

  assertAccessible() {
    assert.ok(this.audited.length > 0, 'no page was audited');
    assert.equal(this.violations.length, 0, `axe-core found WCAG 2.1 A/AA violations:\n${formatViolations(this.violations)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generated files

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A truecolour PNG (pure-JS encoder); pixel(x, y) returns [r, g, b]. */
export function png(width, height, pixel) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      raw[row + 1 + x * 3] = r;
      raw[row + 2 + x * 3] = g;
      raw[row + 3 + x * 3] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A card-like picture: a pale card with a photo box and text lines on a dark table. */
export function documentPng(width = 640, height = 420, hue = 0) {
  return png(width, height, (x, y) => {
    const inCard = x > 30 && x < width - 30 && y > 30 && y < height - 30;
    if (!inCard) return [40, 44, 52];
    if (x > 60 && x < 200 && y > 80 && y < 260) return [120 + hue, 100, 90];
    if (x > 230 && x < width - 60 && ((y > 90 && y < 102) || (y > 130 && y < 142) || (y > 170 && y < 182))) return [30, 30, 60];
    return [225, 232 - hue, 240];
  });
}

/** A JPEG encoded by Chromium's own encoder (canvas.toBlob): a gradient with some noise. */
export async function jpeg(browser, { width = 800, height = 600, quality = 0.9, noise = 24, seed = 1 } = {}) {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const b64 = await page.evaluate(async ({ width, height, quality, noise, seed }) => {
      const canvas = new OffscreenCanvas(width, height);
      const g = canvas.getContext('2d');
      const img = g.createImageData(width, height);
      let s = seed >>> 0 || 1;
      const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
      for (let y = 0, i = 0; y < height; y++) {
        for (let x = 0; x < width; x++, i += 4) {
          const n = (rnd() - 0.5) * noise;
          img.data[i] = (x / width) * 200 + 30 + n;
          img.data[i + 1] = (y / height) * 180 + 40 + n;
          img.data[i + 2] = 160 - (x / width) * 80 + n;
          img.data[i + 3] = 255;
        }
      }
      g.putImageData(img, 0, 0);
      g.fillStyle = 'rgba(245, 245, 240, 0.85)';
      g.fillRect(width * 0.1, height * 0.15, width * 0.8, height * 0.7);
      g.fillStyle = '#223';
      g.font = `${Math.round(height / 14)}px sans-serif`;
      g.fillText('VERITY TEST DOCUMENT', width * 0.15, height * 0.3);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return btoa(bin);
    }, { width, height, quality, noise, seed });
    const buf = Buffer.from(b64, 'base64');
    assert.deepEqual([...buf.subarray(0, 3)], [0xff, 0xd8, 0xff], 'not a JPEG');
    return buf;
  } finally {
    await ctx.close();
  }
}

/** A phone-camera-sized JPEG (4000 x 3000) of about `target` bytes. */
export async function bigJpeg(browser, target = 4 * 1024 * 1024) {
  let best = null;
  for (const [quality, noise] of [[0.92, 76], [0.92, 90], [0.94, 96]]) {
    best = await jpeg(browser, { width: 4000, height: 3000, quality, noise, seed: 7 });
    if (best.length >= target * 0.95) break;
  }
  return best;
}

/** A small, well-formed PDF (no script, no embedded file), accepted for company documents. */
export function pdf(text = 'Extrait Kbis - Verity test') {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const stream = `BT /F1 18 Tf 72 760 Td (${text}) Tj ET`;
  objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A temporary directory of files; setInputFiles is given their paths, as a person picking files would. */
export class Files {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verity-files-'));
  }

  write(name, bytes) {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  }

  /** The usual set: front (JPEG), back (PNG), selfie (JPEG), company documents (PNG, PDF). */
  async standard(browser) {
    return {
      front: this.write('id-front.jpg', await jpeg(browser, { width: 1000, height: 640, seed: 3 })),
      back: this.write('id-back.png', documentPng(640, 420, 30)),
      selfie: this.write('selfie.jpg', await jpeg(browser, { width: 600, height: 800, seed: 5 })),
      registration: this.write('kbis.pdf', pdf()),
      articles: this.write('statuts.png', documentPng(420, 594, 10)),
    };
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The hosted flow, step by step

/** The path of a step page, as a RegExp on the URL. */
export const stepUrl = (step) => new RegExp(`/verify/[^/?]+/step/${step}(\\?.*)?$`);
export const stepOf = (page) => (new URL(page.url()).pathname.match(/\/step\/([^/]+)$/) || [])[1];

/** Clicks the submit button of the step's own form (not the language switcher or sandbox panel). */
export async function submitStep(page, step, { button = 'button[type=submit]', form = '' } = {}) {
  await page.locator(`main form[action$="/step/${step}"]${form} ${button}`).first().click();
}

/** Clicks and waits for the page of `next` to be loaded. */
export async function goOn(page, step, next, options) {
  await Promise.all([page.waitForURL(stepUrl(next), { waitUntil: 'load' }), submitStep(page, step, options)]);
}

export async function heading(page) {
  return (await page.locator('h1').textContent()).trim();
}

/** Uploads a photo on a front/back/selfie step and waits for `next`. */
export async function uploadPhoto(page, step, file, next) {
  const slot = step;
  await page.setInputFiles(`#file-${slot}`, file);
  await Promise.all([
    page.waitForURL(stepUrl(next), { waitUntil: 'load', timeout: 60_000 }),
    page.locator('main form[data-upload] button[type=submit]').click(),
  ]);
}

/** Uploads a company document (the page reloads on itself) and waits for its tick. */
export async function uploadCompanyDocument(page, slot, file) {
  const form = page.locator(`main form[data-upload]:has(input[name=slot][value="${slot}"])`);
  await form.locator('input[type=file]').setInputFiles(file);
  await Promise.all([page.waitForEvent('load'), form.locator('button[type=submit]').click()]);
  await form.locator('.ok').waitFor();
}

export async function chooseDocument(page, kind, country, next = 'front') {
  // The country first: the page offers the document types accepted from it.
  await page.selectOption('#country', country);
  await page.check(`#doc-${kind}`);
  await goOn(page, 'document', next);
}

/** Fills a date's day, month and year fields from `YYYY-MM-DD`. */
export async function fillDate(page, name, iso) {
  const [y, m, d] = iso.split('-');
  await page.fill(`#${name}`, String(Number(d)));
  await page.fill(`#${name}_month`, String(Number(m)));
  await page.fill(`#${name}_year`, y);
}

/** A date's three fields read back as `YYYY-MM-DD`. */
export async function dateValue(page, name) {
  const [d, m, y] = [await page.inputValue(`#${name}`), await page.inputValue(`#${name}_month`), await page.inputValue(`#${name}_year`)];
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

export async function fieldValues(page, names) {
  const out = {};
  // A date's day field carries its name: read the three of them.
  for (const n of names) out[n] = n.endsWith('_date') ? await dateValue(page, n) : await page.inputValue(`#${n}`);
  return out;
}

/** The closed page of a submitted sandbox session: submitted, or already decided by the engine. */
export const SUBMITTED_OR_DECIDED = new RegExp('^(' + [
  'Your information has been submitted and is being checked, usually within a few minutes. Test platform will tell you the outcome; you can close this page.',
  'This verification was not successful. Test platform will tell you what to do next.',
  'Your information is being reviewed.',
  'Your identity has been verified.',
].map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + ')$');

/** Opens the session's status page (the HostedUrl of a closed or submitted session). */
export async function statusText(page) {
  return (await page.locator('main .status').textContent()).trim();
}

/**
 * Chromium and the standard generated images, for the tests of one `describe` (or a file): launched
 * and generated before them, closed and cleaned up after. Tests read `fixture.chrome`,
 * `fixture.files` and `fixture.images`.
 */
export function browserWithImages() {
  const fixture = {};
  before(async () => {
    fixture.chrome = await launch();
    fixture.files = new Files();
    fixture.images = await fixture.files.standard(fixture.chrome.browser);
  });
  after(async () => {
    await fixture.chrome?.close();
    fixture.files?.cleanup();
  });
  return fixture;
}
