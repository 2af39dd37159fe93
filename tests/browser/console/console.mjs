// The back-office console in Chromium: two reviewers racing on one session; a reviewer working
// three sessions from the queue to decisions with the keyboard alone (approve, refuse with a
// confirmed reason, approve), the image viewer; an auditor's read-only view; a lead, an operator
// and every console page, photographed at 1440x900 and checked by axe-core. Run by the Rust
// suite (crates/verity/tests/api/console/chromium.rs), which prepares four sessions in REVIEW
// and the staff accounts.
//
// Environment: VERITY_BASE_URL, and VERITY_CONSOLE = {"client", "work": [three ids], "race",
// "passwords": {"rita", "rob", "lena", "olga", "aude"}}.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, axeViolations, watch, pageIssues, Recorder, TIMEOUT } from '../lib.mjs';

const base = (process.env.VERITY_BASE_URL || '').replace(/\/+$/, '');
const cfg = JSON.parse(process.env.VERITY_CONSOLE || '{}');
const sessionUrl = (id) => `${base}/console/clients/${cfg.client}/sessions/${id}`;
const shots = new Recorder('console', 'console');

async function noIssues(page, what) {
  // A refused sign-in answers 401, a refused form 400 or 403, which Chromium reports; anything
  // else (a script error, a policy violation) is an issue.
  const issues = (await pageIssues(page)).filter((e) => !/status of 40[13]/.test(e));
  assert.deepEqual(issues, [], `${what}: script or policy errors`);
}

async function noViolations(page, what) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 2)}`);
  await noIssues(page, what);
}

/** Presses Tab until the focused element matches `selector` (the keyboard's way to reach it). */
async function tabTo(page, selector, max = 400) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

async function signIn(browser, username, { keyboard = false } = {}) {
  const ctx = await browser.context('console');
  const page = await ctx.newPage();
  watch(page);
  await page.goto(`${base}/console/login`);
  if (keyboard) {
    await tabTo(page, '#username');
    await page.keyboard.type(username);
    await tabTo(page, '#password');
    await page.keyboard.type(cfg.passwords[username]);
    await Promise.all([page.waitForURL(/\/console\/reviews$/), page.keyboard.press('Enter')]);
  } else {
    await page.fill('#username', username);
    await page.fill('#password', cfg.passwords[username]);
    await Promise.all([page.waitForURL(/\/console\/reviews$/), page.click('button[type=submit]')]);
  }
  return page;
}

async function imagesLoaded(page) {
  return page.evaluate(() => [...document.images].map((i) => ({ src: i.src, ok: i.complete && i.naturalWidth > 0 })));
}

test('two reviewers on one session: the second sees the first at work, and only one decides', { timeout: TIMEOUT }, async () => {
  const b = await launch();
  try {
    // Lena holds the fifth session (opening it claims it), so Rita's queue work leaves it alone.
    const lena = await signIn(b, 'lena');
    await lena.goto(sessionUrl(cfg.confirm));
    assert.match(await lena.textContent('main'), /held by lena of the console until/);
    const rob = await signIn(b, 'rob');
    const rita = await signIn(b, 'rita');
    await rob.goto(sessionUrl(cfg.race));
    await rita.goto(sessionUrl(cfg.race));
    assert.match(await rita.textContent('main'), /Another reviewer is deciding this session\./);
    assert.match(await rita.textContent('main'), /held by rob of the console until/);
    assert.equal(await rita.locator('button:has-text("Approve")').count(), 0);
    await noViolations(rita, 'session claimed by another reviewer');
    // Rob moves on to the next session, which he then holds: he gives it back to the queue.
    await Promise.all([rob.waitForURL((u) => u.search.startsWith('?after=')), rob.click('button:has-text("Approve")')]);
    await Promise.all([rob.waitForURL(/\/console\/reviews$/), rob.click('button:has-text("Release to the queue")')]);
    assert.doesNotMatch(await rob.textContent('main'), /rob of the console until/);
    await rita.reload();
    assert.match(await rita.textContent('main'), /there is nothing to decide/);
  } finally {
    await b.close();
  }
});

test('a reviewer works three sessions from the queue to decisions with the keyboard alone', { timeout: TIMEOUT }, async () => {
  const b = await launch();
  try {
    const page = await signIn(b, 'rita', { keyboard: true });
    for (const id of cfg.work) {
      assert.ok(await page.isVisible(`a:has-text("${id}")`), `${id} is in the queue`);
    }
    await shots.page(page, 'queue');

    // The first: from the queue with "Work the next session", read, zoom and rotate, approve.
    // The queue decides the order (oldest waiting first); the test follows it.
    const current = () => new URL(page.url()).pathname.split('/').pop();
    const isSession = (u) => /\/sessions\/idnver_/.test(u.pathname);
    await tabTo(page, 'form.work-next button');
    await Promise.all([page.waitForURL(isSession), page.keyboard.press('Enter')]);
    await page.waitForLoadState('load');
    const worked = [current()];
    const images = await imagesLoaded(page);
    assert.ok(images.length >= 2 && images.every((i) => i.ok), `images shown: ${JSON.stringify(images)}`);
    await shots.page(page, 'session');
    await tabTo(page, 'button[aria-label^="Rotate: Document, front"]');
    await page.keyboard.press('Enter');
    const turned = await page.evaluate(() => document.querySelector('img[alt^="Document, front"]').style.transform);
    assert.match(turned, /rotate\(90deg\)/, 'the viewer rotates the image');
    await tabTo(page, 'button[aria-label^="Zoom in: Document, front"]');
    await page.keyboard.press('Enter');
    assert.match(await page.evaluate(() => document.querySelector('img[alt^="Document, front"]').style.transform), /scale\(1\.25\)/);
    await tabTo(page, 'form[action$="/decide"]:not(.refuse) button');
    await Promise.all([page.waitForURL((u) => isSession(u) && u.search.startsWith('?after=')), page.keyboard.press('Enter')]);
    assert.match(await page.textContent('[role=status].flash'), new RegExp(`Session ${worked[0]} was decided`));
    worked.push(current());

    // The second: refused, with a reason chosen from plain words, a comment, and confirmation.
    await tabTo(page, '#reason');
    for (let i = 0; i < 40; i++) {
      if ((await page.inputValue('#reason')) === 'BUSINESS_INSIGHTS_MATCH_FAILED@BUSINESS_INSIGHTS_MATCH') break;
      await page.keyboard.press('ArrowDown');
    }
    assert.equal(await page.inputValue('#reason'), 'BUSINESS_INSIGHTS_MATCH_FAILED@BUSINESS_INSIGHTS_MATCH');
    await tabTo(page, '#comment');
    await page.keyboard.type('Director not listed in the registry extract');
    await tabTo(page, '#confirm');
    await page.keyboard.press('Space');
    assert.ok(await page.isChecked('#confirm'));
    await tabTo(page, 'form.refuse button[type=submit]');
    await Promise.all([page.waitForURL((u) => isSession(u) && u.search === `?after=${worked[1]}`), page.keyboard.press('Enter')]);
    worked.push(current());

    // The third: approved; the queue is then empty.
    await tabTo(page, 'form[action$="/decide"]:not(.refuse) button');
    await Promise.all([page.waitForURL(/\/console\/reviews\?decided=/), page.keyboard.press('Enter')]);
    // What is left is the session Lena holds.
    const left = await page.textContent('main');
    assert.match(left, new RegExp(`${cfg.confirm}[\\s\\S]*lena of the console until`));
    for (const id of cfg.work) assert.doesNotMatch(left, new RegExp(id));
    assert.deepEqual([...worked].sort(), [...cfg.work].sort(), 'the three sessions, each once');
    await noIssues(page, 'keyboard flow');

    await page.goto(sessionUrl(worked[1]));
    assert.match(await page.textContent('main'), /Status REFUSED/);
    assert.match(await page.textContent('.timeline'), /refused the session: BUSINESS_INSIGHTS_MATCH_FAILED/);
    await shots.page(page, 'session-decided');
  } finally {
    await b.close();
  }
});

test('every console page, photographed at 1440x900, has no axe violation', { timeout: TIMEOUT }, async () => {
  const b = await launch();
  try {
    const anonymous = await (await b.context('console')).newPage();
    watch(anonymous);
    await anonymous.goto(`${base}/console/reviews`);
    assert.match(anonymous.url(), /\/console\/login$/, 'no console page without signing in');
    await shots.page(anonymous, 'login');
    await anonymous.fill('#username', 'rita');
    await anonymous.fill('#password', 'not the password at all');
    await anonymous.click('button[type=submit]');
    assert.match(await anonymous.textContent('[role=alert]'), /Wrong username, password or code\./);
    await shots.page(anonymous, 'login-refused');

    // An auditor reads but cannot decide.
    const aude = await signIn(b, 'aude');
    await aude.goto(sessionUrl(cfg.race));
    assert.match(await aude.textContent('main'), /there is nothing to decide|Your role can read this session but not decide it\./);
    assert.equal(await aude.locator('button:has-text("Approve")').count(), 0);
    await aude.goto(`${base}/console/audit?q=view_file`);
    assert.match(await aude.textContent('main'), /rita/);
    await shots.page(aude, 'audit');

    // A lead: every session, searched and filtered; the assignment form on a session page.
    const lena = await signIn(b, 'lena');
    await lena.goto(`${base}/console/reviews?status=&q=Dubois`);
    assert.match(await lena.textContent('.count'), /5 sessions found/);
    await shots.page(lena, 'search');
    await lena.goto(`${base}/console/reviews?status=&type=BUSINESS&env=production&from=2000-01-01`);
    await shots.page(lena, 'filters');
    await lena.goto(`${base}/console/reviews?from=yesterday`);
    assert.match(await lena.textContent('[role=alert]'), /not a date/);
    await shots.page(lena, 'filters-error');
    await lena.goto(`${base}/console/documents`);
    assert.match(await lena.textContent('main'), new RegExp(cfg.kyc));
    await shots.page(lena, 'documents');
    await lena.goto(`${base}/console/clients/${cfg.client}/kyc/${cfg.kyc}`);
    await shots.page(lena, 'kyc-document');
    await lena.goto(`${base}/console/clients/${cfg.client}/ubo/${cfg.ubo}`);
    assert.match(await lena.textContent('main'), /Zoe/);
    await shots.page(lena, 'ubo-declaration');
    // A refusal sent without its confirmation shows what the platform would see, and decides nothing.
    await lena.goto(sessionUrl(cfg.confirm));
    await lena.selectOption('#reason', 'DOCUMENT_UNREADABLE@IDENTITY_DOCUMENT_VERIFICATION');
    await lena.fill('#comment', 'The photo of the passport is blurred');
    await Promise.all([lena.waitForURL(/\/decide$/), lena.click('form.refuse button[type=submit]')]);
    assert.match(await lena.textContent('main'), /The platform will see this refusal/);
    assert.match(await lena.textContent('main'), /The document cannot be read/);
    await shots.page(lena, 'confirm-refusal');
    await lena.click('a:has-text("Back to the session, nothing decided")');
    assert.match(await lena.textContent('main'), /Status REVIEW/);
    await lena.goto(`${base}/console/staff`);
    assert.match(await lena.textContent('main'), /Only operators manage staff\./);
    await shots.page(lena, 'not-allowed');
    await lena.goto(`${base}/console/account`);
    await shots.page(lena, 'account');

    // An operator: platforms, a user, staff.
    const olga = await signIn(b, 'olga');
    await olga.goto(`${base}/console/clients`);
    await shots.page(olga, 'clients');
    await olga.goto(`${base}/console/clients/${cfg.client}`);
    assert.match(await olga.textContent('main'), /Webhook deliveries/);
    await shots.page(olga, 'client');
    await olga.click('main table a[href*="/users/"]');
    assert.match(await olga.textContent('main'), /Sessions/);
    await shots.page(olga, 'user');
    await olga.goto(`${base}/console/clients/${cfg.client}`);
    await olga.click('main a[href*="/deliveries/"]');
    await shots.page(olga, 'delivery');
    await olga.goto(`${base}/console/staff`);
    assert.match(await olga.textContent('main'), /lena/);
    await shots.page(olga, 'staff');
    await olga.goto(sessionUrl(cfg.work[0]));
    await shots.page(olga, 'session-operator');
    for (const p of [anonymous, aude, lena, olga]) await noIssues(p, 'console pages');
    shots.assertAccessible();
  } finally {
    await b.close();
  }
});
