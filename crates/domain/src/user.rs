//! Natural and legal users: their data, their categories and the rules for creating, updating and
//! categorising them (Mangopay's user API, legacy and SCA flavours).

use serde::{Deserialize, Serialize};

use crate::validation::{FieldErrors, email_error, is_country_code, is_email};
use crate::{ClientId, Environment, UnixTime, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PersonType {
    Natural,
    Legal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LegalPersonType {
    Business,
    Partnership,
    Organization,
    Soletrader,
}

impl LegalPersonType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "BUSINESS" => Some(Self::Business),
            "PARTNERSHIP" => Some(Self::Partnership),
            "ORGANIZATION" => Some(Self::Organization),
            "SOLETRADER" => Some(Self::Soletrader),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Business => "BUSINESS",
            Self::Partnership => "PARTNERSHIP",
            Self::Organization => "ORGANIZATION",
            Self::Soletrader => "SOLETRADER",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserCategory {
    Payer,
    Owner,
    Platform,
}

impl UserCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payer => "PAYER",
            Self::Owner => "OWNER",
            Self::Platform => "PLATFORM",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Active,
    PendingUserAction,
    Closed,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::PendingUserAction => "PENDING_USER_ACTION",
            Self::Closed => "CLOSED",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KycLevel {
    Light,
    Regular,
}

impl KycLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "LIGHT",
            Self::Regular => "REGULAR",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

impl Address {
    fn is_blank(&self) -> bool {
        [
            &self.address_line1,
            &self.address_line2,
            &self.city,
            &self.region,
            &self.postal_code,
            &self.country,
        ]
        .iter()
        .all(|f| f.as_deref().is_none_or(str::is_empty))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaturalData {
    pub first_name: String,
    pub last_name: String,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub occupation: Option<String>,
    pub income_range: Option<String>,
    pub email: String,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
    pub address: Option<Address>,
    pub proof_of_identity: Option<String>,
    pub proof_of_address: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalRepresentative {
    pub first_name: String,
    pub last_name: String,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
    pub proof_of_identity: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalData {
    pub name: String,
    pub legal_person_type: LegalPersonType,
    pub email: String,
    pub company_number: Option<String>,
    pub legal_representative: LegalRepresentative,
    pub headquarters_address: Option<Address>,
    pub legal_representative_address: Option<Address>,
    pub proof_of_registration: Option<String>,
    pub shareholder_declaration: Option<String>,
    pub statute: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Person {
    Natural(NaturalData),
    Legal(LegalData),
}

/// A user as stored. Wire shapes (SCA and legacy) are rendered from this by the HTTP layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub client_id: ClientId,
    pub tag: Option<String>,
    pub created_at: UnixTime,
    pub person: Person,
    pub kyc_level: KycLevel,
    pub category: UserCategory,
    pub status: UserStatus,
    pub terms_accepted: bool,
    pub terms_accepted_at: Option<UnixTime>,
    /// Set while an SCA enrolment is pending: the secret of the enrolment link the user must
    /// follow (rendered as `PendingUserAction.RedirectUrl`).
    pub pending_sca_token: Option<String>,
    /// Optimistic-concurrency version, checked and bumped by every write.
    #[serde(default)]
    pub version: i64,
}

impl User {
    pub fn person_type(&self) -> PersonType {
        match self.person {
            Person::Natural(_) => PersonType::Natural,
            Person::Legal(_) => PersonType::Legal,
        }
    }

    pub fn legal_person_type(&self) -> Option<LegalPersonType> {
        match &self.person {
            Person::Legal(l) => Some(l.legal_person_type),
            Person::Natural(_) => None,
        }
    }

    /// The e-mail address that SCA (and the sandbox `accept` rule) looks at.
    fn sca_email(&self) -> &str {
        match &self.person {
            Person::Natural(n) => &n.email,
            Person::Legal(l) => l.legal_representative.email.as_deref().unwrap_or(""),
        }
    }

    /// SCA enrolment is only asked of natural users and sole traders.
    fn sca_applies(&self) -> bool {
        matches!(self.legal_person_type(), None | Some(LegalPersonType::Soletrader))
    }
}

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

fn check_len(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if let Some(v) = value {
        if v.chars().count() > max {
            errors.max_len(field, max);
        }
    }
}

fn check_country(errors: &mut FieldErrors, field: &str, value: Option<&str>) {
    if let Some(v) = value {
        if !is_country_code(v) {
            errors.add(field, format!("The value {v} is not valid for {field}."));
        }
    }
}

fn check_address(errors: &mut FieldErrors, prefix: &str, address: Option<&Address>) {
    let Some(a) = address else { return };
    if a.is_blank() {
        return;
    }
    for (name, value) in [
        ("City", &a.city),
        ("PostalCode", &a.postal_code),
        ("Country", &a.country),
    ] {
        if value.as_deref().is_none_or(str::is_empty) {
            errors.required(&format!("{prefix}.{name}"));
        }
    }
    for (name, value) in [
        ("AddressLine1", &a.address_line1),
        ("AddressLine2", &a.address_line2),
        ("City", &a.city),
        ("Region", &a.region),
        ("PostalCode", &a.postal_code),
    ] {
        check_len(errors, &format!("{prefix}.{name}"), value.as_deref(), 255);
    }
    check_country(errors, &format!("{prefix}.Country"), a.country.as_deref());
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

impl UserPatch {
    /// The category a legacy create gets when the caller sent none. Older integrations never
    /// sent one; Mangopay treats a user who gave everything an owner needs as an owner.
    fn legacy_default_category(&self, person: PersonType) -> UserCategory {
        let complete = match person {
            PersonType::Natural => {
                self.birthday.is_some() && !blank(&self.nationality) && !blank(&self.country_of_residence)
            }
            PersonType::Legal => {
                let r = &self.legal_representative;
                r.birthday.is_some() && !blank(&r.nationality) && !blank(&r.country_of_residence)
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
    /// Builds a new user from a create request, applying every creation rule.
    pub fn create(
        id: UserId,
        client_id: ClientId,
        person_type: PersonType,
        patch: &UserPatch,
        ctx: &UserContext,
    ) -> Result<User, UserRuleError> {
        let mut errors = FieldErrors::new();
        let category = match patch.category {
            Some(c) => c,
            None if ctx.flavour == Flavour::Sca => {
                errors.required("UserCategory");
                UserCategory::Payer
            }
            None => patch.legacy_default_category(person_type),
        };
        if ctx.flavour == Flavour::Sca && patch.terms_accepted.is_none() {
            errors.required("TermsAndConditionsAccepted");
        }
        let person = match person_type {
            PersonType::Natural => Person::Natural(NaturalData::default()),
            PersonType::Legal => {
                if patch.legal_person_type.is_none() {
                    errors.required("LegalPersonType");
                }
                Person::Legal(LegalData {
                    name: String::new(),
                    legal_person_type: patch.legal_person_type.unwrap_or(LegalPersonType::Business),
                    email: String::new(),
                    company_number: None,
                    legal_representative: LegalRepresentative::default(),
                    headquarters_address: None,
                    legal_representative_address: None,
                    proof_of_registration: None,
                    shareholder_declaration: None,
                    statute: None,
                })
            }
        };
        let mut user = User {
            id,
            client_id,
            tag: None,
            created_at: ctx.now,
            person,
            kyc_level: KycLevel::Light,
            category: UserCategory::Payer,
            status: UserStatus::Active,
            terms_accepted: false,
            terms_accepted_at: None,
            pending_sca_token: None,
            version: 0,
        };
        user.apply_fields(patch);
        errors.merge(user.validate_fields(ctx.flavour));
        if category == UserCategory::Platform {
            errors.add(
                "UserCategory",
                "The UserCategory PLATFORM can only be assigned by the platform operator.",
            );
        }
        errors.into_result()?;
        user.accept_terms(patch.terms_accepted, ctx.now)?;
        if category == UserCategory::Owner {
            user.become_owner(ctx)?;
        }
        Ok(user)
    }

    /// Applies an update request (legacy `PUT /users/...` or SCA `PUT /sca/users/...`).
    pub fn update(&mut self, patch: &UserPatch, ctx: &UserContext) -> Result<(), UserRuleError> {
        if self.status == UserStatus::Closed {
            return Err(UserRuleError::Closed);
        }
        if ctx.flavour == Flavour::Sca && patch.terms_accepted.is_none() {
            let mut e = FieldErrors::new();
            e.required("TermsAndConditionsAccepted");
            return Err(e.into());
        }
        let mut next = self.clone();
        let sca_email_before = next.sca_email().to_owned();
        let phone_before = next.phone();
        next.apply_fields(patch);
        let mut errors = next.validate_fields(ctx.flavour);
        match patch.category {
            Some(UserCategory::Payer) if self.category == UserCategory::Owner => {
                errors.add("UserCategory", "A User OWNER can't be modified to a user PAYER");
            }
            Some(UserCategory::Platform) if self.category != UserCategory::Platform => {
                errors.add(
                    "UserCategory",
                    "The UserCategory PLATFORM can only be assigned by the platform operator.",
                );
            }
            _ => {}
        }
        errors.into_result()?;
        next.accept_terms(patch.terms_accepted, ctx.now)?;
        let becomes_owner = patch.category == Some(UserCategory::Owner) && self.category != UserCategory::Owner;
        if becomes_owner {
            next.become_owner(ctx)?;
        } else if next.category == UserCategory::Owner {
            next.validate_owner(ctx.flavour)?;
            // An owner's contact details are what SCA authenticates: changing them over the SCA
            // endpoints asks for a new enrolment.
            let contact_changed = next.sca_email() != sca_email_before || next.phone() != phone_before;
            if ctx.flavour == Flavour::Sca && contact_changed {
                next.require_sca(ctx)?;
            }
        }
        *self = next;
        Ok(())
    }

    /// `PUT /sca/users/{natural|legal}/{UserId}/category`: PAYER to OWNER.
    pub fn categorize(&mut self, patch: &UserPatch, ctx: &UserContext) -> Result<(), UserRuleError> {
        if self.status == UserStatus::Closed {
            return Err(UserRuleError::Closed);
        }
        let mut errors = FieldErrors::new();
        match patch.category {
            None => errors.required("UserCategory"),
            Some(UserCategory::Owner) => {}
            Some(_) => errors.add(
                "UserCategory",
                "The only category a user can be categorized to is OWNER.",
            ),
        }
        if self.category == UserCategory::Owner {
            errors.add("UserCategory", "The user is already categorized as OWNER.");
        }
        if patch.terms_accepted.is_none() {
            errors.required("TermsAndConditionsAccepted");
        }
        errors.into_result()?;
        let mut next = self.clone();
        next.apply_fields(patch);
        next.validate_fields(ctx.flavour).into_result()?;
        next.accept_terms(patch.terms_accepted, ctx.now)?;
        next.become_owner(ctx)?;
        *self = next;
        Ok(())
    }

    /// `POST /sca/users/{UserId}/enrollment`: (re)starts SCA enrolment for an owner.
    pub fn enroll(&mut self, ctx: &UserContext) -> Result<(), UserRuleError> {
        if self.status == UserStatus::Closed {
            return Err(UserRuleError::Closed);
        }
        if self.category == UserCategory::Payer {
            return Err(UserRuleError::PayerNotAllowed);
        }
        self.status = UserStatus::PendingUserAction;
        self.pending_sca_token = Some(ctx.sca_token.clone());
        Ok(())
    }

    /// The user completed the SCA enrolment page.
    pub fn complete_enrollment(&mut self) {
        if self.status == UserStatus::PendingUserAction {
            self.status = UserStatus::Active;
            self.pending_sca_token = None;
        }
    }

    /// `DELETE /users/{natural|legal}/{UserId}`.
    pub fn close(&mut self) -> Result<(), UserRuleError> {
        if self.status == UserStatus::Closed {
            return Err(UserRuleError::Closed);
        }
        self.status = UserStatus::Closed;
        self.pending_sca_token = None;
        Ok(())
    }

    /// Whether a change touched what a verification vouched for: a natural user's names, birthday
    /// or nationality; a legal representative's; the legal person type. Such a change downgrades a
    /// REGULAR user.
    pub fn protected_fields_differ(&self, other: &User) -> bool {
        match (&self.person, &other.person) {
            (Person::Natural(a), Person::Natural(b)) => {
                (&a.first_name, &a.last_name, a.birthday, &a.nationality)
                    != (&b.first_name, &b.last_name, b.birthday, &b.nationality)
            }
            (Person::Legal(a), Person::Legal(b)) => {
                let (ra, rb) = (&a.legal_representative, &b.legal_representative);
                a.legal_person_type != b.legal_person_type
                    || (&ra.first_name, &ra.last_name, ra.birthday, &ra.nationality)
                        != (&rb.first_name, &rb.last_name, rb.birthday, &rb.nationality)
            }
            _ => true,
        }
    }

    fn phone(&self) -> (Option<String>, Option<String>) {
        match &self.person {
            Person::Natural(n) => (n.phone_number.clone(), n.phone_number_country.clone()),
            Person::Legal(l) => (
                l.legal_representative.phone_number.clone(),
                l.legal_representative.phone_number_country.clone(),
            ),
        }
    }

    fn accept_terms(&mut self, value: Option<bool>, now: UnixTime) -> Result<(), UserRuleError> {
        match value {
            Some(true) if !self.terms_accepted => {
                self.terms_accepted = true;
                self.terms_accepted_at = Some(now);
            }
            Some(false) if self.terms_accepted => return Err(UserRuleError::TermsRevoked),
            _ => {}
        }
        Ok(())
    }

    fn become_owner(&mut self, ctx: &UserContext) -> Result<(), UserRuleError> {
        self.validate_owner(ctx.flavour)?;
        self.category = UserCategory::Owner;
        if ctx.flavour == Flavour::Sca {
            self.require_sca(ctx)?;
        }
        Ok(())
    }

    /// Starts SCA enrolment where it applies. In sandbox, an address containing `accept` skips
    /// it, as in Mangopay's sandbox, so automated tests need no human.
    fn require_sca(&mut self, ctx: &UserContext) -> Result<(), UserRuleError> {
        if !self.sca_applies() {
            return Ok(());
        }
        // `ScaContext` defaults to USER_PRESENT: every SDK predating it still works.
        if ctx.sca_context == Some(ScaContext::UserNotPresent) {
            return Err(UserRuleError::ScaProxyMissing);
        }
        if ctx.environment == Environment::Sandbox && self.sca_email().contains("accept") {
            return Ok(());
        }
        self.status = UserStatus::PendingUserAction;
        self.pending_sca_token = Some(ctx.sca_token.clone());
        Ok(())
    }

    fn validate_owner(&self, flavour: Flavour) -> Result<(), UserRuleError> {
        let mut errors = FieldErrors::new();
        match &self.person {
            Person::Natural(n) => {
                if n.birthday.is_none() {
                    errors.required("Birthday");
                }
                if blank(&n.nationality) {
                    errors.required("Nationality");
                }
                if blank(&n.country_of_residence) {
                    errors.required("CountryOfResidence");
                }
            }
            Person::Legal(l) => {
                let r = &l.legal_representative;
                let missing = |errors: &mut FieldErrors, sca: &str, legacy: &str| match flavour {
                    Flavour::Sca => errors.add(
                        format!("LegalRepresentative.{sca}"),
                        format!("'{sca}' must not be empty."),
                    ),
                    Flavour::Legacy => errors.required(legacy),
                };
                if r.birthday.is_none() {
                    missing(&mut errors, "Birthday", "LegalRepresentativeBirthday");
                }
                if blank(&r.nationality) {
                    missing(&mut errors, "Nationality", "LegalRepresentativeNationality");
                }
                if blank(&r.country_of_residence) {
                    missing(
                        &mut errors,
                        "CountryOfResidence",
                        "LegalRepresentativeCountryOfResidence",
                    );
                }
                if blank(&r.email) {
                    missing(&mut errors, "Email", "LegalRepresentativeEmail");
                }
                if l.headquarters_address.as_ref().is_none_or(Address::is_blank) {
                    errors.required("HeadquartersAddress");
                }
                if l.legal_person_type == LegalPersonType::Business && blank(&l.company_number) {
                    errors.required("CompanyNumber");
                }
            }
        }
        errors.into_result()?;
        if !self.terms_accepted {
            return Err(UserRuleError::TermsNotAccepted);
        }
        Ok(())
    }

    fn apply_fields(&mut self, p: &UserPatch) {
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

    /// Shape and length rules that hold for every user, whatever its category.
    fn validate_fields(&self, flavour: Flavour) -> FieldErrors {
        let mut e = FieldErrors::new();
        check_len(&mut e, "Tag", self.tag.as_deref(), 255);
        match &self.person {
            Person::Natural(n) => {
                for (field, value) in [("FirstName", &n.first_name), ("LastName", &n.last_name)] {
                    if value.trim().is_empty() {
                        e.required(field);
                    } else {
                        check_len(&mut e, field, Some(value), 100);
                    }
                }
                check_email(&mut e, "Email", Some(&n.email), true);
                check_country(&mut e, "Nationality", n.nationality.as_deref());
                check_country(&mut e, "CountryOfResidence", n.country_of_residence.as_deref());
                check_country(&mut e, "PhoneNumberCountry", n.phone_number_country.as_deref());
                check_len(&mut e, "Occupation", n.occupation.as_deref(), 255);
                if let Some(r) = &n.income_range {
                    if !matches!(r.as_str(), "1" | "2" | "3" | "4" | "5" | "6") {
                        e.add("IncomeRange", "The IncomeRange must be between 1 and 6.");
                    }
                }
                check_address(&mut e, "Address", n.address.as_ref());
            }
            Person::Legal(l) => {
                if l.name.trim().is_empty() {
                    e.required("Name");
                }
                check_len(&mut e, "Name", Some(&l.name), 255);
                check_email(&mut e, "Email", Some(&l.email), true);
                let r = &l.legal_representative;
                let name = |sca: &str, legacy: &str| match flavour {
                    Flavour::Sca => format!("LegalRepresentative.{sca}"),
                    Flavour::Legacy => legacy.to_owned(),
                };
                for (field, value) in [
                    (name("FirstName", "LegalRepresentativeFirstName"), &r.first_name),
                    (name("LastName", "LegalRepresentativeLastName"), &r.last_name),
                ] {
                    if value.trim().is_empty() {
                        e.required(&field);
                    } else {
                        check_len(&mut e, &field, Some(value), 100);
                    }
                }
                check_email(
                    &mut e,
                    &name("Email", "LegalRepresentativeEmail"),
                    r.email.as_deref(),
                    false,
                );
                check_country(
                    &mut e,
                    &name("Nationality", "LegalRepresentativeNationality"),
                    r.nationality.as_deref(),
                );
                check_country(
                    &mut e,
                    &name("CountryOfResidence", "LegalRepresentativeCountryOfResidence"),
                    r.country_of_residence.as_deref(),
                );
                check_len(&mut e, "CompanyNumber", l.company_number.as_deref(), 255);
                check_address(&mut e, "HeadquartersAddress", l.headquarters_address.as_ref());
                check_address(
                    &mut e,
                    "LegalRepresentativeAddress",
                    l.legal_representative_address.as_ref(),
                );
            }
        }
        e
    }
}

fn check_email(errors: &mut FieldErrors, field: &str, value: Option<&str>, required: bool) {
    match value {
        None | Some("") if required => errors.required(field),
        None | Some("") => {}
        Some(v) if !is_email(v) => errors.add(field, email_error(field)),
        Some(_) => {}
    }
}
