//! API input to the user rules: the request patch, its flavour and context, and the refusals.

use super::validate::blank;
use super::{Address, LegalPersonType, Person, PersonType, User, UserCategory};
use crate::validation::FieldErrors;
use crate::{Environment, UnixTime};

/// Which family of endpoints a request came through: they name fields and apply SCA differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    Legacy,
    Sca,
}

/// `ScaContext` on SCA requests: whether the user is there to enrol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaContext {
    UserPresent,
    UserNotPresent,
}

/// Fields a caller may send to create or change a user. `None` means "not sent" (or sent as
/// null): the stored value is kept. Read-only fields (`Id`, `KYCLevel`, `CreationDate`, ...) have
/// no place here, so they are ignored by construction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub tag: Option<String>,
    pub email: Option<String>,
    pub terms_accepted: Option<bool>,
    pub category: Option<UserCategory>,
    // natural
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub occupation: Option<String>,
    pub income_range: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
    pub address: Option<Address>,
    // legal
    pub name: Option<String>,
    pub legal_person_type: Option<LegalPersonType>,
    pub company_number: Option<String>,
    pub legal_representative: LegalRepresentativePatch,
    pub headquarters_address: Option<Address>,
    pub legal_representative_address: Option<Address>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegalRepresentativePatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
}

/// Why a user operation was refused. Each variant maps to one Mangopay error body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserRuleError {
    /// `param_error` with per-field messages.
    Invalid(FieldErrors),
    /// 403 `user_hasnt_accepted_terms_and_conditions`.
    TermsNotAccepted,
    /// 400 `invalid_action`: terms cannot be revoked.
    TermsRevoked,
    /// 403 `sca_proxy_missing`: `USER_NOT_PRESENT` without a proxy consent.
    ScaProxyMissing,
    /// 400 `not_allowed_for_user_category_payer`.
    PayerNotAllowed,
    /// 400 `invalid_action`: the user is closed.
    Closed,
}

impl From<FieldErrors> for UserRuleError {
    fn from(e: FieldErrors) -> Self {
        UserRuleError::Invalid(e)
    }
}

/// What the rules need to know beyond the request itself.
#[derive(Clone, Debug)]
pub struct UserContext {
    pub flavour: Flavour,
    pub environment: Environment,
    pub now: UnixTime,
    /// A fresh secret for an SCA enrolment link, used if this operation starts one.
    pub sca_token: String,
    /// `ScaContext` sent with the request, if any.
    pub sca_context: Option<ScaContext>,
}

fn set<T>(target: &mut T, value: &Option<T>)
where
    T: Clone,
{
    if let Some(v) = value {
        *target = v.clone();
    }
}

fn set_opt<T: Clone>(target: &mut Option<T>, value: &Option<T>) {
    if value.is_some() {
        target.clone_from(value);
    }
}

impl UserPatch {
    /// The category a legacy create gets when the caller sent none. Older integrations never
    /// sent one; Mangopay treats a user who gave everything an owner needs as an owner.
    pub(super) fn legacy_default_category(&self, person: PersonType) -> UserCategory {
        let complete = match person {
            PersonType::Natural => {
                self.birthday.is_some() && !blank(&self.nationality) && !blank(&self.country_of_residence)
            }
            // A legal OWNER needs its representative's details and e-mail, the headquarters and
            // (for a business) the company number, and accepted terms: without any of them the
            // user is created as a PAYER rather than refused.
            PersonType::Legal => {
                let r = &self.legal_representative;
                let business = self.legal_person_type.is_none_or(|t| t == LegalPersonType::Business);
                r.birthday.is_some()
                    && !blank(&r.nationality)
                    && !blank(&r.country_of_residence)
                    && !blank(&r.email)
                    && self.headquarters_address.as_ref().is_some_and(|a| !a.is_blank())
                    && (!business || !blank(&self.company_number))
                    && self.terms_accepted == Some(true)
            }
        };
        if complete {
            UserCategory::Owner
        } else {
            UserCategory::Payer
        }
    }
}

impl User {
    pub(super) fn apply_fields(&mut self, p: &UserPatch) {
        set_opt(&mut self.tag, &p.tag);
        match &mut self.person {
            Person::Natural(n) => {
                set(&mut n.first_name, &p.first_name);
                set(&mut n.last_name, &p.last_name);
                set_opt(&mut n.birthday, &p.birthday);
                set_opt(&mut n.nationality, &p.nationality);
                set_opt(&mut n.country_of_residence, &p.country_of_residence);
                set_opt(&mut n.occupation, &p.occupation);
                set_opt(&mut n.income_range, &p.income_range);
                set(&mut n.email, &p.email);
                set_opt(&mut n.phone_number, &p.phone_number);
                set_opt(&mut n.phone_number_country, &p.phone_number_country);
                set_opt(&mut n.address, &p.address);
            }
            Person::Legal(l) => {
                set(&mut l.name, &p.name);
                if let Some(t) = p.legal_person_type {
                    l.legal_person_type = t;
                }
                set(&mut l.email, &p.email);
                set_opt(&mut l.company_number, &p.company_number);
                set_opt(&mut l.headquarters_address, &p.headquarters_address);
                set_opt(&mut l.legal_representative_address, &p.legal_representative_address);
                let (r, rp) = (&mut l.legal_representative, &p.legal_representative);
                set(&mut r.first_name, &rp.first_name);
                set(&mut r.last_name, &rp.last_name);
                set_opt(&mut r.birthday, &rp.birthday);
                set_opt(&mut r.nationality, &rp.nationality);
                set_opt(&mut r.country_of_residence, &rp.country_of_residence);
                set_opt(&mut r.email, &rp.email);
                set_opt(&mut r.phone_number, &rp.phone_number);
                set_opt(&mut r.phone_number_country, &rp.phone_number_country);
            }
        }
    }
}
