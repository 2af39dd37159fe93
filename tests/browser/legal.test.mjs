// Legal users through the whole hosted flow, on a phone and on a desktop: a sole trader, a
// business (beneficial owners added, edited, removed and confirmed) and an organization, each
// with company documents (a PDF and a PNG), the legal representative's details, an identity
// document and photos, review, submit.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, Files, Recorder, TIMEOUT, SUBMITTED_OR_DECIDED, fillDate, launch, watch, pageIssues, returnUrl, stepUrl, goOn, submitStep, heading,
  uploadPhoto, uploadCompanyDocument, chooseDocument, fieldValues, statusText,
  browserWithImages,
} from './lib.mjs';

const api = new Api();
describe('legal users', { concurrency: 3 }, () => {
  const fx = browserWithImages();

  const FLOWS = {
    SOLETRADER: {
      flow: 'soletrader',
      company: 'Atelier Berthe Morel',
      steps: ['welcome', 'business', 'company-documents', 'personal', 'document', 'front', 'back', 'selfie', 'review'],
      slots: ['registration_proof'],
      document: ['IDENTITY_CARD', 'FR', 'Identity card · France'],
    },
    BUSINESS: {
      flow: 'business',
      company: 'Lumen Robotics SAS',
      steps: ['welcome', 'business', 'owners', 'company-documents', 'personal', 'document', 'front', 'selfie', 'review'],
      slots: ['registration_proof', 'articles_of_association'],
      document: ['PASSPORT', 'FR', 'Passport · France'],
    },
    ORGANIZATION: {
      flow: 'organization',
      company: 'Les Amis du Vélo',
      steps: ['welcome', 'business', 'company-documents', 'personal', 'document', 'front', 'back', 'selfie', 'review'],
      slots: ['registration_proof', 'articles_of_association'],
      document: ['RESIDENCE_PERMIT', 'DE', 'Residence permit · Germany'],
    },
  };

  /** The card of an owner on the owners step. */
  const ownerCard = (page, name) => page.locator('main .card', { has: page.locator('strong', { hasText: name }) });

  async function fillOwner(page, o) {
    await page.fill('#first_name', o.first);
    await page.fill('#last_name', o.last);
    await fillDate(page, 'birth_date', o.birth);
    await page.selectOption('#nationality', o.nationality);
    await page.fill('#share', String(o.share));
  }

  async function saveOwner(page) {
    await Promise.all([page.waitForEvent('load'), page.locator('main form:has(input[name=action][value=save]) button[type=submit]').click()]);
  }

  /** Beneficial owners: add two (one with a mistake first), edit one, remove one, confirm. */
  async function owners(page, rec) {
    assert.equal(await heading(page), 'Beneficial owners');
    await page.getByText('No owner declared yet.').waitFor();
    assert.equal(await page.locator('main form:has(input[name=action][value=confirm])').count(), 0, 'nothing to confirm yet');
    await rec.page(page, 'owners');

    await fillOwner(page, { first: 'Jeanne', last: 'Martin', birth: '1970-02-03', nationality: 'FR', share: 60 });
    await saveOwner(page);
    assert.match(await ownerCard(page, 'Jeanne Martin').innerText(), /60% of the shares/);

    await fillOwner(page, { first: 'Paul', last: 'Durand', birth: '1982-11-23', nationality: 'BE', share: 10 });
    await saveOwner(page);
    await page.locator('#error-summary').waitFor();
    assert.match(await page.locator('#error-summary').innerText(), /Enter a share between 25 and 100 percent\./);
    assert.equal(await page.getAttribute('#share', 'aria-invalid'), 'true');
    await rec.page(page, 'owners-error');
    // The form comes back empty after an error (a page bug, see the test at the end): type it all again.
    await fillOwner(page, { first: 'Paul', last: 'Durand', birth: '1982-11-23', nationality: 'BE', share: 30 });
    await saveOwner(page);
    assert.match(await ownerCard(page, 'Paul Durand').innerText(), /30% of the shares/);
    await rec.page(page, 'owners-two');

    // Edit Jeanne: the form comes back filled in; the new share replaces the old one.
    await Promise.all([page.waitForURL(/\/step\/owners\?edit=/), ownerCard(page, 'Jeanne Martin').locator('a').click()]);
    assert.equal(await page.locator('main form:has(input[name=action][value=save]) h2').innerText(), 'Edit');
    assert.deepEqual(await fieldValues(page, ['first_name', 'last_name', 'birth_date', 'share']), {
      first_name: 'Jeanne', last_name: 'Martin', birth_date: '1970-02-03', share: '60',
    });
    assert.equal(await page.inputValue('#nationality'), 'FR');
    await rec.page(page, 'owners-edit');
    // A decimal comma, as in French: kept in whole percent, rounded down.
    await page.fill('#share', '55,5');
    await saveOwner(page);
    assert.match(await ownerCard(page, 'Jeanne Martin').innerText(), /55% of the shares/);
    assert.equal(await page.locator('main .card strong').count(), 2, 'editing does not add an owner');

    // Remove Paul.
    await Promise.all([page.waitForEvent('load'), ownerCard(page, 'Paul Durand').locator('button[type=submit]').click()]);
    assert.equal(await ownerCard(page, 'Paul Durand').count(), 0);
    assert.equal(await ownerCard(page, 'Jeanne Martin').count(), 1);

    await goOn(page, 'owners', 'company-documents', { form: ':has(input[name=action][value=confirm])' });
  }

  async function companyDocuments(page, rec, slots) {
    assert.equal(await heading(page), 'Company documents');
    assert.equal(await page.locator('main form[data-upload]').count(), slots.length);
    assert.equal(await page.locator('main form:has(input[name=action][value=continue])').count(), 0, 'no way on before the uploads');
    await rec.page(page, 'company-documents');
    await uploadCompanyDocument(page, 'registration_proof', fx.images.registration); // a PDF: a plain form post
    if (slots.includes('articles_of_association')) {
      await uploadCompanyDocument(page, 'articles_of_association', fx.images.articles); // a PNG: through the script
    }
    await rec.page(page, 'company-documents-done');
    await goOn(page, 'company-documents', 'personal', { form: ':has(input[name=action][value=continue])' });
  }

  for (const [type, spec] of Object.entries(FLOWS)) {
    for (const viewport of ['phone', 'desktop']) {
      test(`${spec.flow} completes the flow (${viewport})`, { timeout: TIMEOUT }, async () => {
        const { hostedUrl } = await api.newSession(type);
        const ctx = await fx.chrome.context(viewport);
        const page = await ctx.newPage();
        watch(page);
        const rec = new Recorder(spec.flow, viewport);
        const total = spec.steps.length - (spec.document[0] === 'PASSPORT' && spec.steps.includes('back') ? 1 : 0);
        try {
          await page.goto(hostedUrl);
          await page.waitForURL(stepUrl('welcome'));
          assert.equal(await heading(page), "Let's verify your identity");
          await page.getByText("your company's registration details and a recent registration proof").waitFor();
          assert.equal(await page.getByText('your articles of association').count(), spec.slots.length - 1);
          assert.equal(await page.getByText('the details of everyone who owns 25% or more of the company').count(), type === 'BUSINESS' ? 1 : 0);
          await rec.page(page, 'welcome');
          await goOn(page, 'welcome', 'business');

          assert.equal(await heading(page), 'Company details');
          assert.deepEqual(await fieldValues(page, ['registration_number', 'name', 'address_line1', 'city', 'postal_code']), {
            registration_number: '552100554', name: spec.company, address_line1: '12 rue des Lilas', city: 'Lyon', postal_code: '69003',
          });
          assert.equal(await page.inputValue('#country'), 'FR');
          // What a number looks like in the chosen country, following the choice.
          assert.equal((await page.locator('#registration_number-hint').innerText()).trim(), 'For example 552 100 554 (SIREN)');
          await page.selectOption('#country', 'GB');
          assert.equal((await page.locator('#registration_number-hint').innerText()).trim(), 'For example 03977902 (Companies House)');
          await page.selectOption('#country', 'US');
          assert.equal(await page.locator('#registration_number-hint').isVisible(), false);
          await page.selectOption('#country', 'FR');
          await rec.page(page, 'business');
          await goOn(page, 'business', spec.steps[2]);

          if (type === 'BUSINESS') await owners(page, rec);
          await companyDocuments(page, rec, spec.slots);

          assert.equal(await heading(page), 'Details of the legal representative');
          assert.deepEqual(await fieldValues(page, ['first_name', 'last_name', 'birth_date']), {
            first_name: 'Berthe', last_name: 'Morel', birth_date: '1979-03-14',
          });
          await rec.page(page, 'personal');
          await goOn(page, 'personal', 'document');

          await rec.page(page, 'document');
          const [kind, country, label] = spec.document;
          await chooseDocument(page, kind, country);
          if (kind === 'PASSPORT') {
            assert.equal(await heading(page), "Photo of your passport's photo page");
            await rec.page(page, 'front');
            await uploadPhoto(page, 'front', fx.images.front, 'selfie');
          } else {
            assert.equal(await heading(page), 'Photo of the front of your document');
            await rec.page(page, 'front');
            await uploadPhoto(page, 'front', fx.images.front, 'back');
            await rec.page(page, 'back');
            await uploadPhoto(page, 'back', fx.images.back, 'selfie');
          }
          await rec.page(page, 'selfie');
          await uploadPhoto(page, 'selfie', fx.images.selfie, 'review');

          assert.equal(await heading(page), 'Check and submit');
          assert.equal((await page.locator('main .progress').innerText()).trim(), `Step ${total} of ${total}`);
          const review = await page.locator('main dl.summary').innerText();
          assert.match(review, new RegExp(`${spec.company}, 552100554 · France`));
          assert.match(review, /Berthe Morel · 1979-03-14/);
          assert.match(review, new RegExp(label));
          if (type === 'BUSINESS') assert.match(review, /Beneficial owners[\s\S]*Jeanne Martin \(55%\)/);
          assert.match(review, kind === 'PASSPORT' ? /✓ Front, ✓ Selfie/ : /✓ Front, ✓ Back, ✓ Selfie/);
          await rec.page(page, 'review');
          await Promise.all([page.waitForURL(returnUrl()), submitStep(page, 'review')]);

          await page.goto(hostedUrl);
          // Submitted: the engine decides the sandbox session too (these test photos carry no MRZ, so
        // it refuses them) — the page says one or the other, whichever came first.
        assert.match(await statusText(page), SUBMITTED_OR_DECIDED);
          await rec.page(page, 'submitted');

          assert.deepEqual(await pageIssues(page), []);
          rec.assertAccessible();
        } finally {
          await ctx.close();
        }
      });
    }
  }

  // The remove buttons of the owners list all read "Remove": the owner's name is in a span meant
  // for screen readers only, but `.hidden` is `display: none`, which hides it from them too.
  test('each owner\'s remove button names the owner (accessible name)', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('BUSINESS');
    const ctx = await fx.chrome.context('desktop');
    const page = await ctx.newPage();
    try {
      await page.goto(hostedUrl);
      await goOn(page, 'welcome', 'business');
      await goOn(page, 'business', 'owners');
      await fillOwner(page, { first: 'Jeanne', last: 'Martin', birth: '1970-02-03', nationality: 'FR', share: 60 });
      await saveOwner(page);
      await fillOwner(page, { first: 'Paul', last: 'Durand', birth: '1982-11-23', nationality: 'BE', share: 30 });
      await saveOwner(page);
      const names = await page.locator('main .card form button').evaluateAll((buttons) => buttons.map((b) => b.innerText));
      assert.equal(names.length, 2);
      assert.equal(await page.getByRole('button', { name: 'Remove Jeanne Martin' }).count(), 1,
        `the remove buttons' accessible names do not say which owner they remove (visible texts: ${JSON.stringify(names)})`);
      assert.equal(await page.getByRole('button', { name: 'Remove Paul Durand' }).count(), 1);
    } finally {
      await ctx.close();
    }
  });

  // A business where no one owns or controls 25% declares its senior managing official instead
  // (AML directive), with where each person lives and how they control the company.
  for (const viewport of ['phone', 'desktop']) {
  test(`a business with no owner at 25% declares its senior managing official (${viewport})`, { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('BUSINESS');
    const ctx = await fx.chrome.context(viewport);
    const page = await ctx.newPage();
    watch(page);
    const rec = new Recorder('owners-official', viewport);
    try {
      await page.goto(hostedUrl);
      await goOn(page, 'welcome', 'business');
      await goOn(page, 'business', 'owners');
      assert.equal(await page.isChecked('#control-OWNERSHIP'), true, 'ownership is the usual case');
      assert.equal(await page.inputValue('#residence'), 'FR', 'residence starts at the company\'s country');
      await fillOwner(page, { first: 'Claire', last: 'Petit', birth: '1975-05-06', nationality: 'FR', share: '' });
      await page.check('#control-SENIOR_MANAGING_OFFICIAL');
      await page.selectOption('#residence', 'BE');
      await rec.page(page, 'owners-official-form');
      await saveOwner(page);
      assert.match(await ownerCard(page, 'Claire Petit').innerText(), /Senior managing official: no one owns or controls 25% or more/);
      // A share given for a senior managing official is a mistake, said plainly.
      await Promise.all([page.waitForEvent('load'), ownerCard(page, 'Claire Petit').locator('a').click()]);
      assert.equal(await page.inputValue('#residence'), 'BE', 'the residence given is kept');
      await page.fill('#share', '30');
      await saveOwner(page);
      assert.match(await page.locator('#error-summary').innerText(), /A senior managing official holds no share here/);
      await page.fill('#share', '');
      await saveOwner(page);
      await Promise.all([page.waitForURL(stepUrl('company-documents')), page.locator('main form:has(input[name=action][value=confirm]) button').click()]);
      assert.deepEqual(await pageIssues(page), []);
      rec.assertAccessible();
    } finally {
      await ctx.close();
    }
  });
  }

  // After a validation error the owner form must still hold what was typed (like the other steps
  // do), so that only the wrong field needs correcting.
  test('the owner form keeps what was typed after a validation error', { timeout: TIMEOUT }, async () => {
    const { hostedUrl } = await api.newSession('BUSINESS');
    const ctx = await fx.chrome.context('phone');
    const page = await ctx.newPage();
    try {
      await page.goto(hostedUrl);
      await goOn(page, 'welcome', 'business');
      await goOn(page, 'business', 'owners');
      await fillOwner(page, { first: 'Paul', last: 'Durand', birth: '1982-11-23', nationality: 'BE', share: 10 });
      await saveOwner(page);
      await page.locator('#error-summary').waitFor();
      assert.deepEqual(
        { ...(await fieldValues(page, ['first_name', 'last_name', 'birth_date', 'share'])), nationality: await page.inputValue('#nationality') },
        { first_name: 'Paul', last_name: 'Durand', birth_date: '1982-11-23', share: '10', nationality: 'BE' },
        'the owner form was emptied by the validation error',
      );
    } finally {
      await ctx.close();
    }
  });
});
