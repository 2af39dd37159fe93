//! The steps about a legal user: the company's details, its beneficial owners and its
//! documents (whose uploads are handled with the photos, in `photos`).

use askama::Template;
use serde::Deserialize;
use verity_domain::hosted::{self, BusinessData, Control, FormErrors, Owner, Progress, Step};

use super::Submitted;
use super::context::Ctx;
use super::fields::{Choice, ContinueForm, CountrySelect, DateField, TextField, UploadForm, date_from_parts};
use super::forms::{ActionForm, Posted};
use super::layout::Layout;

#[derive(Template)]
#[template(path = "hosted/business.html")]
pub(super) struct BusinessPage {
    page: Layout,
    action: String,
    csrf: String,
    country: CountrySelect,
    fields: Vec<TextField>,
}

pub(super) fn business_page(ctx: &Ctx, page: Layout, errors: &FormErrors) -> BusinessPage {
    let b = ctx.progress.business.clone().unwrap_or_default();
    let field = |name, label, value: &str| TextField::new(ctx, errors, name, label, value);
    BusinessPage {
        page,
        action: ctx.step_url(Step::Business),
        csrf: ctx.progress.csrf.clone(),
        country: CountrySelect::new(ctx, errors, "country", "field-country-registration", &b.country),
        fields: vec![
            field(
                "registration_number",
                "field-registration-number",
                &b.registration_number,
            )
            .hint_by_country(&registration_hints(ctx), &b.country),
            field("name", "field-company-name", &b.name).autocomplete("organization"),
            field("address_line1", "field-address", &b.address_line1).autocomplete("address-line1"),
            field("city", "field-city", &b.city).autocomplete("address-level2"),
            field("postal_code", "field-postal-code", &b.postal_code).autocomplete("postal-code"),
        ],
    }
}

/// What a registration number looks like, for each country Verity has rules for.
fn registration_hints(ctx: &Ctx) -> Vec<(&'static str, String)> {
    ["FR", "GB", "DE", "BE", "NL", "ES", "IT", "LU"]
        .into_iter()
        .filter_map(|country| {
            let (example, register) = verity_domain::company::number_example(country)?;
            Some((
                country,
                ctx.tr.f(
                    "field-registration-number-hint",
                    &[("example", example), ("register", register)],
                ),
            ))
        })
        .collect()
}

/// The company details form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BusinessForm {
    country: String,
    registration_number: String,
    name: String,
    address_line1: String,
    city: String,
    postal_code: String,
}

impl From<BusinessForm> for BusinessData {
    fn from(f: BusinessForm) -> BusinessData {
        BusinessData {
            country: f.country,
            registration_number: f.registration_number,
            name: f.name,
            address_line1: f.address_line1,
            city: f.city,
            postal_code: f.postal_code,
        }
    }
}

pub(super) fn submit_business(ctx: &mut Ctx, posted: &Posted) -> Submitted {
    let b = BusinessData::from(posted.form::<BusinessForm>());
    let errors = hosted::validate_business(&b);
    ctx.progress.business = Some(b);
    if errors.is_empty() {
        ctx.progress.confirmed.insert(Step::Business.as_str().to_owned());
    }
    Submitted::saved(errors)
}

#[derive(Template)]
#[template(path = "hosted/owners.html")]
pub(super) struct OwnersPage {
    page: Layout,
    action: String,
    csrf: String,
    owners: Vec<OwnerView>,
    /// "Add" or "Edit", for the owner form.
    heading: String,
    owner_id: String,
    first_name: TextField,
    last_name: TextField,
    birth_date: DateField,
    nationality: CountrySelect,
    residence: CountrySelect,
    /// How the person controls the company.
    controls: Vec<Choice>,
    share: TextField,
    /// The PSC flow: where the person's own link is sent.
    email: Option<TextField>,
}

/// A declared owner in the list.
struct OwnerView {
    id: String,
    first_name: String,
    last_name: String,
    /// "30% of the shares", translated.
    share: String,
}

/// The owners step: the owners declared so far, and a form to add one or to edit the one named
/// by `?edit=` (or the one whose form just failed).
pub(super) fn owners_page(ctx: &Ctx, page: Layout, errors: &FormErrors, query: &[(String, String)]) -> OwnersPage {
    let owners = &ctx.progress.owners;
    let editing = query.iter().find(|(k, _)| k == "edit").map(|(_, v)| v.clone());
    let current = match &ctx.owner_draft {
        Some(draft) => draft.clone(),
        None => editing
            .as_ref()
            .and_then(|id| owners.iter().find(|o| &o.id == id))
            .cloned()
            .unwrap_or_default(),
    };
    let editing = editing.or_else(|| {
        ctx.owner_draft
            .as_ref()
            .map(|d| d.id.clone())
            .filter(|id| owners.iter().any(|o| &o.id == id))
    });
    let share = if current.share == 0 {
        String::new()
    } else {
        current.share.to_string()
    };
    // Most owners live where the company is: the list starts there.
    let residence = if current.residence.is_empty() {
        company_country(ctx)
    } else {
        current.residence.clone()
    };
    OwnersPage {
        page,
        action: ctx.step_url(Step::Owners),
        csrf: ctx.progress.csrf.clone(),
        owners: owners
            .iter()
            .map(|o| OwnerView {
                id: o.id.clone(),
                first_name: o.first_name.clone(),
                last_name: o.last_name.clone(),
                share: match o.control {
                    Control::Ownership => ctx.tr.f("owners-share-of", &[("share", &o.share.to_string())]),
                    other => ctx.tr.t(&format!("control-{}", other.as_str())),
                },
            })
            .collect(),
        heading: ctx.tr.t(if editing.is_some() { "owners-edit" } else { "owners-add" }),
        owner_id: current.id.clone(),
        first_name: TextField::new(ctx, errors, "first_name", "field-first-name", &current.first_name),
        last_name: TextField::new(ctx, errors, "last_name", "field-last-name", &current.last_name),
        birth_date: DateField::new(ctx, errors, "birth_date", "field-birth-date", &current.birth_date),
        nationality: CountrySelect::new(ctx, errors, "nationality", "field-nationality", &current.nationality),
        residence: CountrySelect::new(ctx, errors, "residence", "field-residence", &residence),
        controls: Control::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str().to_owned(),
                label: ctx.tr.t(&format!("control-{}", c.as_str())),
                selected: *c == current.control,
            })
            .collect(),
        share: TextField::new(ctx, errors, "share", "field-share", &share).inputmode("numeric"),
        email: ctx
            .progress
            .psc_main
            .then(|| super::person::psc_email_field(ctx, errors, &current.email)),
    }
}

/// The owner form, and the remove and confirm buttons (`action`: `save`, `remove`, `confirm`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OwnerForm {
    owner_id: String,
    first_name: String,
    last_name: String,
    birth_date: String,
    birth_date_day: String,
    birth_date_month: String,
    birth_date_year: String,
    nationality: String,
    residence: String,
    /// `OWNERSHIP`, `OTHER_MEANS` or `SENIOR_MANAGING_OFFICIAL` (ownership when absent).
    control: String,
    /// A percentage, with or without its `%`.
    share: String,
    email: String,
}

/// A share as people write it: `55`, `55 %`, `33,33` or `33.33`. Kept in whole percent, rounded
/// down, so that no one under 25% ever counts as a 25% owner; `u8::MAX` (refused) for anything
/// that is not a percentage.
fn parse_share(raw: &str) -> u8 {
    let text = raw.trim().trim_end_matches('%').trim().replace(',', ".");
    if text.is_empty() {
        return 0;
    }
    match text.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => v.floor() as u8,
        _ => u8::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_share;

    #[test]
    fn shares_in_the_writers_convention() {
        assert_eq!(parse_share("55"), 55);
        assert_eq!(parse_share(" 55 % "), 55);
        assert_eq!(parse_share("33,33"), 33);
        assert_eq!(parse_share("33.33"), 33);
        // Never rounded up across the threshold.
        assert_eq!(parse_share("24,99"), 24);
        assert_eq!(parse_share(""), 0);
        assert_eq!(parse_share("a third"), u8::MAX);
        assert_eq!(parse_share("120"), u8::MAX);
    }
}

/// The company's country, as declared on the business step or known from the user.
fn company_country(ctx: &Ctx) -> String {
    ctx.progress
        .business
        .as_ref()
        .map(|b| b.country.clone())
        .filter(|c| !c.is_empty())
        .unwrap_or_default()
}

pub(super) fn submit_owners(ctx: &mut Ctx, posted: &Posted) -> Submitted {
    let step = Step::Owners.as_str();
    let form = posted.form::<OwnerForm>();
    match posted.form::<ActionForm>().action.as_str() {
        "remove" => {
            ctx.progress.owners.retain(|o| o.id != form.owner_id);
            ctx.progress.confirmed.remove(step);
            Submitted::stay(FormErrors::new())
        }
        "confirm" if !ctx.progress.owners.is_empty() => {
            ctx.progress.confirmed.insert(step.to_owned());
            Submitted::saved(FormErrors::new())
        }
        _ => {
            let owner = Owner {
                id: if form.owner_id.is_empty() {
                    verity_service::new_id("psc_")
                } else {
                    form.owner_id
                },
                first_name: form.first_name,
                last_name: form.last_name,
                birth_date: date_from_parts(
                    &form.birth_date_day,
                    &form.birth_date_month,
                    &form.birth_date_year,
                    &form.birth_date,
                ),
                nationality: form.nationality,
                residence: if form.residence.is_empty() {
                    company_country(ctx)
                } else {
                    form.residence
                },
                email: form.email,
                control: Control::parse(&form.control).unwrap_or_default(),
                share: parse_share(&form.share),
            };
            let mut errors = hosted::validate_owner(&owner);
            if ctx.progress.psc_main {
                hosted::validate_psc_email(&mut errors, &owner.email);
            }
            if errors.is_empty() {
                match ctx.progress.owners.iter_mut().find(|o| o.id == owner.id) {
                    Some(existing) => *existing = owner,
                    None => ctx.progress.owners.push(owner),
                }
                ctx.progress.confirmed.remove(step);
            } else {
                ctx.owner_draft = Some(owner);
            }
            Submitted::stay(errors)
        }
    }
}

#[derive(Template)]
#[template(path = "hosted/company_documents.html")]
pub(super) struct CompanyDocumentsPage {
    page: Layout,
    uploads: Vec<UploadForm>,
    next: Option<ContinueForm>,
}

pub(super) fn company_documents_page(ctx: &Ctx, page: Layout) -> CompanyDocumentsPage {
    let step = Step::CompanyDocuments;
    CompanyDocumentsPage {
        page,
        uploads: Progress::company_slots(&ctx.user)
            .iter()
            .map(|slot| {
                let label = ctx.tr.t(&format!("doc-{slot}"));
                UploadForm::new(
                    ctx,
                    step,
                    slot,
                    label,
                    "image/jpeg,image/png,image/webp,application/pdf",
                )
            })
            .collect(),
        next: ctx
            .progress
            .is_done(&ctx.user, step)
            .then(|| ContinueForm::new(ctx, step, "continue")),
    }
}
