//! Field-level validation results, keyed by the wire name of the field (as Mangopay reports them
//! in the `errors` object of a `param_error`).

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the first problem found for a field; later ones for the same field are dropped so
    /// the caller sees one actionable message per field.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn required(&mut self, field: &str) {
        self.add(field, format!("The {field} field is required."));
    }

    pub fn max_len(&mut self, field: &str, max: usize) {
        self.add(
            field,
            format!("The field {field} must be a string with a maximum length of {max}."),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    /// Forgets what was recorded for `field` and its sub-fields (`field.X`).
    pub fn remove_prefixed(&mut self, field: &str) {
        self.0
            .retain(|k, _| k != field && !k.strip_prefix(field).is_some_and(|rest| rest.starts_with('.')));
    }

    pub fn merge(&mut self, other: FieldErrors) {
        for (k, v) in other.0 {
            self.add(k, v);
        }
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// ISO 3166-1 alpha-2 shape check (two upper-case ASCII letters). The list of assigned codes is
/// not enforced here: Mangopay itself accepts any well-formed code and blocks some by policy.
pub fn is_country_code(value: &str) -> bool {
    value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase())
}

/// The e-mail shape Mangopay validates (the regular expression quoted in its error message),
/// implemented without a regex engine: local part of permitted characters and dot-separated
/// atoms, `@`, then dot-separated DNS labels with at least one dot.
pub fn is_email(value: &str) -> bool {
    const LOCAL_EXTRA: &[u8] = b"!#$%&'*+/=?^_`{|}~-";
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || LOCAL_EXTRA.contains(&b))
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    local_ok && domain_ok
}

/// The exact message Mangopay returns for an e-mail that fails its pattern.
pub fn email_error(field: &str) -> String {
    format!(
        "The field {field} must match the regular expression '([a-zA-Z0-9!#$%&'*+/=?^_`{{|}}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{{|}}~-]+)*)@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?'."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shape_follows_mangopay_pattern() {
        assert!(is_email("john.doe@sample.org"));
        assert!(is_email("a+accept@x.co"));
        assert!(!is_email("john.doe@sample"));
        assert!(!is_email("john..doe@sample.org"));
        assert!(!is_email("@sample.org"));
        assert!(!is_email("john@-sample.org"));
    }

    #[test]
    fn first_error_per_field_wins() {
        let mut e = FieldErrors::new();
        e.required("Email");
        e.add("Email", "other");
        assert_eq!(e.iter().next().unwrap().1, "The Email field is required.");
    }

    #[test]
    fn email_error_quotes_the_pattern_exactly() {
        assert_eq!(
            email_error("Email"),
            "The field Email must match the regular expression '([a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*)@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?'."
        );
    }
}
