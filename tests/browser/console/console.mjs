// The back-office console in Chromium: sign-in, the review queue, a session with its images,
// approving and refusing, an auditor's read-only view and the audit log, two reviewers on one
// session; axe-core finds no violation on any console page. Run by the Rust suite
// (crates/verity/tests/api/console.rs), which prepares sessions in REVIEW and staff accounts.
//
// Environment: VERITY_BASE_URL, and VERITY_CONSOLE = {"client", "approve", "refuse", "race",
// "passwords": {"rita", "rob", "aude"}}.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, axeViolations, watch, pageIssues, TIMEOUT } from '../lib.mjs';

const base = (process.env.VERITY_BASE_URL || '').replace(/\/+$/, '');
const cfg = JSON.parse(process.env.VERITY_CONSOLE || '{}');
const sessionUrl = (id) => `${base}/console/clients/${cfg.client}/sessions/${id}`;

async function noViolations(page, what) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 2)}`);
  // A refused sign-in answers 401, which Chromium reports; anything else is an issue.
  const issues = (await pageIssues(page)).filter((e) => !/status of 401 .*\/console\/login/.test(e));
  assert.deepEqual(issues, [], `${what}: script or policy errors`);
}

async function signIn(browser, username) {
  const ctx = await browser.context('desktop');
  const page = await ctx.newPage();
  watch(page);
  await page.goto(`${base}/console/login`);
  await page.fill('#username', username);
  await page.fill('#password', cfg.passwords[username]);
  await Promise.all([page.waitForURL(/\/console\/reviews$/), page.click('button[type=submit]')]);
  return page;
}

async function imagesLoaded(page) {
  return page.evaluate(() => [...document.images].map((i) => ({ src: i.src, ok: i.complete && i.naturalWidth > 0 })));
}

test('a reviewer approves one session and refuses another, with their images', { timeout: TIMEOUT }, async () => {
  const b = await launch();
  try {
    const anonymous = await (await b.context('desktop')).newPage();
    watch(anonymous);
    await anonymous.goto(`${base}/console/reviews`);
    assert.match(anonymous.url(), /\/console\/login$/, 'no console page without signing in');
    await noViolations(anonymous, 'sign-in page');
    await anonymous.fill('#username', 'rita');
    await anonymous.fill('#password', 'not the password at all');
    await anonymous.click('button[type=submit]');
    assert.match(await anonymous.textContent('[role=alert]'), /Wrong username, password or code\./);
    await noViolations(anonymous, 'sign-in page with an error');

    const page = await signIn(b, 'rita');
    await noViolations(page, 'review queue');
    for (const id of [cfg.approve, cfg.refuse, cfg.race]) {
      assert.ok(await page.isVisible(`a:has-text("${id}")`), `${id} is in the queue`);
    }
    await Promise.all([page.waitForURL(sessionUrl(cfg.approve)), page.click(`a:has-text("${cfg.approve}")`)]);
    await page.waitForLoadState('load');
    const images = await imagesLoaded(page);
    assert.ok(images.length >= 2 && images.every((i) => i.ok), `images shown: ${JSON.stringify(images)}`);
    await noViolations(page, 'session page');
    await Promise.all([page.waitForURL(sessionUrl(cfg.approve)), page.click('button:has-text("Approve")')]);
    assert.match(await page.textContent('main'), /Status VALIDATED/);

    await page.goto(sessionUrl(cfg.refuse));
    await page.selectOption('#reason', 'BUSINESS_INSIGHTS_MATCH_FAILED@BUSINESS_INSIGHTS_MATCH');
    await page.fill('#comment', 'Director not listed in the registry extract');
    await Promise.all([page.waitForURL(sessionUrl(cfg.refuse)), page.click('button:has-text("Refuse")')]);
    assert.match(await page.textContent('main'), /Status REFUSED/);
    await noViolations(page, 'decided session page');
  } finally {
    await b.close();
  }
});

test('an auditor reads but cannot decide; the audit log shows every image view', { timeout: TIMEOUT }, async () => {
  const b = await launch();
  try {
    const page = await signIn(b, 'aude');
    await page.goto(sessionUrl(cfg.race));
    assert.match(await page.textContent('main'), /Your role can read this session but not decide it\./);
    assert.equal(await page.locator('button:has-text("Approve")').count(), 0);
    await page.goto(`${base}/console/clients`);
    await noViolations(page, 'platforms');
    await page.goto(`${base}/console/clients/${cfg.client}`);
    assert.match(await page.textContent('main'), /Webhook deliveries/);
    await noViolations(page, 'platform page');
    await page.click('main table a[href*="/users/"]');
    assert.match(await page.textContent('main'), /Sessions/);
    await noViolations(page, 'user page');
    await page.goto(`${base}/console/audit?q=view_file`);
    const log = await page.textContent('main');
    assert.match(log, /rita/);
    assert.match(log, new RegExp(cfg.approve));
    await noViolations(page, 'audit log');
  } finally {
    await b.close();
  }
});

test('two reviewers on one session: the second sees the first at work, and only one decides', { timeout: TIMEOUT }, async () => {
  const b = await launch();
  try {
    const rob = await signIn(b, 'rob');
    const rita = await signIn(b, 'rita');
    await rob.goto(sessionUrl(cfg.race));
    await rita.goto(sessionUrl(cfg.race));
    assert.match(await rita.textContent('main'), /Another reviewer is deciding this session\./);
    assert.equal(await rita.locator('button:has-text("Approve")').count(), 0);
    await noViolations(rita, 'session claimed by another reviewer');
    await Promise.all([rob.waitForURL(sessionUrl(cfg.race)), rob.click('button:has-text("Approve")')]);
    assert.match(await rob.textContent('main'), /Status VALIDATED/);
    await rita.reload();
    assert.match(await rita.textContent('main'), /there is nothing to decide/);
  } finally {
    await b.close();
  }
});
