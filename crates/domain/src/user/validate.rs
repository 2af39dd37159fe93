//! Validation of user fields: shape and length rules for every user, and what an owner must give.

use super::{Address, Flavour, LegalPersonType, Person, User, UserRuleError};
use crate::validation::{FieldErrors, email_error, is_country_code, is_email};

fn check_len(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if let Some(v) = value
        && v.chars().count() > max
    {
        errors.max_len(field, max);
    }
}

fn check_country(errors: &mut FieldErrors, field: &str, value: Option<&str>) {
    if let Some(v) = value
        && !is_country_code(v)
    {
        errors.add(field, format!("The value {v} is not valid for {field}."));
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

pub(super) fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn check_email(errors: &mut FieldErrors, field: &str, value: Option<&str>, required: bool) {
    match value {
        None | Some("") if required => errors.required(field),
        None | Some("") => {}
        Some(v) if !is_email(v) => errors.add(field, email_error(field)),
        Some(_) => {}
    }
}

impl User {
    pub(super) fn validate_owner(&self, flavour: Flavour) -> Result<(), UserRuleError> {
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

    /// Shape and length rules that hold for every user, whatever its category.
    pub(super) fn validate_fields(&self, flavour: Flavour) -> FieldErrors {
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
                if let Some(r) = &n.income_range
                    && !matches!(r.as_str(), "1" | "2" | "3" | "4" | "5" | "6")
                {
                    e.add("IncomeRange", "The IncomeRange must be between 1 and 6.");
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
