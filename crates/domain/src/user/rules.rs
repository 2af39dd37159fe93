//! The user lifecycle rules: create, update, categorise, enrol, close, and which changes are protected.

use super::{
    Flavour, KycLevel, LegalData, LegalPersonType, LegalRepresentative, NaturalData, Person, PersonType, ScaContext,
    User, UserCategory, UserContext, UserPatch, UserRuleError, UserStatus,
};
use crate::validation::FieldErrors;
use crate::{ClientId, Environment, UnixTime, UserId};

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
}
