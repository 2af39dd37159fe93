//! The steps about the person: welcome, personal details and the choice of identity document.

use askama::Template;
use serde::Deserialize;
use verity_domain::hosted::{self, DocumentChoice, DocumentType, FormErrors, PersonalData, Progress, Step};

use super::Submitted;
use super::context::Ctx;
use super::fields::{Choice, ContinueForm, CountrySelect, DateField, TextField, date_from_parts};
use super::forms::Posted;
use super::layout::Layout;

#[derive(Template)]
#[template(path = "hosted/welcome.html")]
pub(super) struct WelcomePage {
    page: Layout,
    intro: String,
    needs: Vec<String>,
    start: ContinueForm,
}

pub(super) fn welcome_page(ctx: &Ctx, page: Layout) -> WelcomePage {
    let tr = &ctx.tr;
    let legal = ctx.user.legal_person_type().is_some();
    // The PSC flow's main session asks for no identity document: each person verifies their own.
    let mut needs = if ctx.progress.psc_main {
        Vec::new()
    } else {
        vec![tr.t("welcome-need-id"), tr.t("welcome-need-phone")]
    };
    if legal {
        needs.insert(0, tr.t("welcome-need-company"));
    }
    if ctx.has_step(Step::Owners) {
        needs.push(tr.t("welcome-need-owners"));
    }
    if ctx.progress.psc_main {
        needs.push(tr.t("welcome-need-emails"));
    }
    if Progress::company_slots(&ctx.user).contains(&hosted::SLOT_ARTICLES) {
        needs.push(tr.t("welcome-need-articles"));
    }
    let intro = match (&ctx.company, legal, ctx.progress.psc_main) {
        (Some(company), _, _) => tr.f(
            "welcome-intro-psc",
            &[("platform", &ctx.platform()), ("company", company)],
        ),
        (None, true, true) => tr.f("welcome-intro-psc-main", &[("platform", &ctx.platform())]),
        (None, true, false) => tr.f("welcome-intro-legal", &[("platform", &ctx.platform())]),
        (None, false, _) => tr.f("welcome-intro-natural", &[("platform", &ctx.platform())]),
    };
    let started = ctx.progress.is_done(&ctx.user, Step::Welcome);
    WelcomePage {
        page,
        intro,
        needs,
        start: ContinueForm::new(
            ctx,
            Step::Welcome,
            if started { "welcome-resume" } else { "welcome-start" },
        ),
    }
}

pub(super) fn submit_welcome(ctx: &mut Ctx) -> Submitted {
    ctx.progress.confirmed.insert(Step::Welcome.as_str().to_owned());
    Submitted::saved(FormErrors::new())
}

#[derive(Template)]
#[template(path = "hosted/personal.html")]
pub(super) struct PersonalPage {
    page: Layout,
    action: String,
    csrf: String,
    first_name: TextField,
    last_name: TextField,
    birth_date: DateField,
    nationality: CountrySelect,
    /// The PSC flow: where the legal representative's own link is sent.
    email: Option<TextField>,
}

pub(super) fn personal_page(ctx: &Ctx, page: Layout, errors: &FormErrors) -> PersonalPage {
    let p = ctx.progress.personal.clone().unwrap_or_default();
    PersonalPage {
        page,
        action: ctx.step_url(Step::Personal),
        csrf: ctx.progress.csrf.clone(),
        first_name: TextField::new(ctx, errors, "first_name", "field-first-name", &p.first_name)
            .autocomplete("given-name"),
        last_name: TextField::new(ctx, errors, "last_name", "field-last-name", &p.last_name)
            .autocomplete("family-name"),
        birth_date: DateField::new(ctx, errors, "birth_date", "field-birth-date", &p.birth_date),
        nationality: CountrySelect::new(ctx, errors, "nationality", "field-nationality", &p.nationality),
        email: ctx.progress.psc_main.then(|| psc_email_field(ctx, errors, &p.email)),
    }
}

/// The e-mail of a person declared in the PSC flow, who gets a verification link of their own.
pub(super) fn psc_email_field(ctx: &Ctx, errors: &FormErrors, value: &str) -> TextField {
    let mut field = TextField::new(ctx, errors, "email", "field-email", value)
        .inputmode("email")
        .autocomplete("email");
    field.hint = Some(ctx.tr.t("psc-email-hint"));
    field
}

/// The personal details form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PersonalForm {
    first_name: String,
    last_name: String,
    birth_date: String,
    birth_date_day: String,
    birth_date_month: String,
    birth_date_year: String,
    nationality: String,
    email: String,
}

impl From<PersonalForm> for PersonalData {
    fn from(f: PersonalForm) -> PersonalData {
        PersonalData {
            first_name: f.first_name,
            last_name: f.last_name,
            birth_date: date_from_parts(
                &f.birth_date_day,
                &f.birth_date_month,
                &f.birth_date_year,
                &f.birth_date,
            ),
            nationality: f.nationality,
            email: f.email,
        }
    }
}

pub(super) fn submit_personal(ctx: &mut Ctx, posted: &Posted) -> Submitted {
    let mut p = PersonalData::from(posted.form::<PersonalForm>());
    let mut errors = hosted::validate_personal(&p);
    if ctx.progress.psc_main {
        hosted::validate_psc_email(&mut errors, &p.email);
    } else {
        // Only the PSC flow asks; keep what the platform gave.
        p.email = ctx
            .progress
            .personal
            .as_ref()
            .map(|old| old.email.clone())
            .unwrap_or_default();
    }
    ctx.progress.personal = Some(p);
    if errors.is_empty() {
        ctx.progress.confirmed.insert(Step::Personal.as_str().to_owned());
    }
    Submitted::saved(errors)
}

#[derive(Template)]
#[template(path = "hosted/document.html")]
pub(super) struct DocumentPage {
    page: Layout,
    action: String,
    csrf: String,
    kind_error: Option<String>,
    kinds: Vec<DocumentKind>,
    country: CountrySelect,
}

/// A document type offered, and the issuing countries it is accepted from (space-separated ISO
/// codes for the page's script, empty for every country).
pub(super) struct DocumentKind {
    choice: Choice,
    countries: String,
}

/// The types offered: the ones the engine can verify from some country (never driving licences).
const OFFERED: [DocumentType; 3] = [
    DocumentType::Passport,
    DocumentType::IdentityCard,
    DocumentType::ResidencePermit,
];

pub(super) fn document_page(ctx: &Ctx, page: Layout, errors: &FormErrors) -> DocumentPage {
    let chosen = ctx.progress.document.as_ref();
    DocumentPage {
        page,
        action: ctx.step_url(Step::Document),
        csrf: ctx.progress.csrf.clone(),
        kind_error: errors.get("kind").map(|key| ctx.tr.t(key)),
        kinds: OFFERED
            .iter()
            .map(|d| DocumentKind {
                choice: Choice {
                    value: d.as_str().to_owned(),
                    label: ctx.tr.t(&format!("doc-type-{}", d.as_str())),
                    selected: chosen.is_some_and(|c| c.kind == *d),
                },
                countries: d.countries().map(|c| c.join(" ")).unwrap_or_default(),
            })
            .collect(),
        country: CountrySelect::new(
            ctx,
            errors,
            "country",
            "field-document-country",
            // Most people's document was issued by their nationality's state: start there.
            chosen.map_or_else(
                || ctx.progress.personal.as_ref().map_or("", |p| p.nationality.as_str()),
                |c| c.country.as_str(),
            ),
        ),
    }
}

/// The identity document form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DocumentForm {
    kind: String,
    country: String,
}

pub(super) fn submit_document(ctx: &mut Ctx, posted: &Posted) -> Submitted {
    let form = posted.form::<DocumentForm>();
    let kind = DocumentType::parse(&form.kind);
    let mut errors = FormErrors::new();
    if kind.is_none() {
        errors.insert("kind", "error-required");
    }
    if !verity_domain::validation::is_country_code(&form.country) {
        errors.insert("country", "error-country");
    }
    // Only what the engine can verify: a card from a state whose cards it cannot read is
    // refused here, with a way forward, rather than after the photos.
    if let (Some(kind), true) = (kind, errors.is_empty())
        && !kind.accepted_from(&form.country)
    {
        errors.insert("kind", "error-document-not-accepted");
    }
    if let (Some(kind), true) = (kind, errors.is_empty()) {
        // A passport has no back: a back photo taken for a card is dropped.
        if !kind.two_sided() {
            ctx.progress.files.remove(hosted::SLOT_BACK);
        }
        ctx.progress.document = Some(DocumentChoice {
            kind,
            country: form.country,
        });
    }
    Submitted::saved(errors)
}
