//! What the console's search finds a user by, and the codes its queue filters on. Searchable
//! words are stored only as keyed hashes (the store hashes the terms written here), so a search
//! matches whole words, never parts of them: "dub" does not find "Dubois".

use crate::matching::readings;
use crate::session::IdvSession;
use crate::user::{Person, User};

/// `NATURAL`, or the legal user's type.
pub fn user_type(user: &User) -> &'static str {
    match &user.person {
        Person::Natural(_) => "NATURAL",
        Person::Legal(l) => l.legal_person_type.as_str(),
    }
}

/// A name's words, upper case, accents dropped (`Zoë-Anne` gives `ZOE`, `ANNE`).
fn name_words(name: &str) -> Vec<String> {
    let [simple, _] = readings(name);
    simple
}

/// Letters and digits only, upper case: how numbers are compared (`FR 123-456` is `FR123456`).
pub fn compact_number(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn email_term(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    e.contains('@').then(|| format!("email:{e}"))
}

/// The terms a user is found by: each word of their names (the person's, or the company's and
/// its representative's), their e-mail addresses and their company number.
pub fn user_terms(user: &User) -> Vec<String> {
    let mut terms = Vec::new();
    let mut names = |name: &str| terms.extend(name_words(name).into_iter().map(|w| format!("name:{w}")));
    let mut emails = Vec::new();
    let mut numbers = Vec::new();
    match &user.person {
        Person::Natural(n) => {
            names(&n.first_name);
            names(&n.last_name);
            emails.push(n.email.clone());
        }
        Person::Legal(l) => {
            names(&l.name);
            names(&l.legal_representative.first_name);
            names(&l.legal_representative.last_name);
            emails.push(l.email.clone());
            emails.extend(l.legal_representative.email.clone());
            numbers.extend(l.company_number.clone());
        }
    }
    terms.extend(emails.iter().filter_map(|e| email_term(e)));
    terms.extend(
        numbers
            .iter()
            .map(|n| compact_number(n))
            .filter(|n| !n.is_empty())
            .map(|n| format!("number:{n}")),
    );
    terms.sort();
    terms.dedup();
    terms
}

/// What a reviewer typed in the search box, as the terms it can match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// A user whose name terms include all of these.
    pub name_terms: Vec<String>,
    /// A user with this e-mail term, or this company number term.
    pub exact_terms: Vec<String>,
    /// The text as a document number (letters and digits), when it could be one.
    pub document_number: Option<String>,
    /// The text as typed (trimmed), to compare with session and user ids.
    pub id: String,
}

impl SearchQuery {
    pub fn parse(text: &str) -> SearchQuery {
        let text = text.trim();
        let mut query = SearchQuery {
            id: text.to_owned(),
            ..SearchQuery::default()
        };
        if text.is_empty() {
            return query;
        }
        if let Some(term) = email_term(text) {
            query.exact_terms.push(term);
            return query;
        }
        query.name_terms = name_words(text).into_iter().map(|w| format!("name:{w}")).collect();
        let number = compact_number(text);
        if number.chars().any(|c| c.is_ascii_digit()) {
            query.exact_terms.push(format!("number:{number}"));
            query.document_number = Some(number);
        }
        query
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

/// The text a document number's search fingerprint is computed from (letters and digits, the
/// machine-readable zone's `<` fillers dropped), the same for the engine and the search box.
pub fn document_number_term(number: &str) -> String {
    format!("document:{}", compact_number(number))
}

/// A session's checks as plain codes for the queue's filters: ` KIND:STATUS REASON ... `, with
/// a space on each side of every code so that `LIKE '% CODE %'` finds whole codes only.
pub fn review_codes(session: &IdvSession) -> String {
    let mut codes = String::from(" ");
    for check in &session.checks {
        codes.push_str(&format!("{}:{} ", check.kind, check.status));
        for reason in &check.reasons {
            codes.push_str(&format!("{} ", reason.kind));
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_the_terms_users_are_indexed_by() {
        let q = SearchQuery::parse("  Zoë Dubois ");
        assert_eq!(q.name_terms, ["name:ZOE", "name:DUBOIS"]);
        assert!(q.exact_terms.is_empty());
        assert_eq!(q.document_number, None);

        let q = SearchQuery::parse("Marie@Example.com");
        assert_eq!(q.exact_terms, ["email:marie@example.com"]);
        assert!(q.name_terms.is_empty());

        let q = SearchQuery::parse("fr 123-456");
        assert_eq!(q.exact_terms, ["number:FR123456"]);
        assert_eq!(q.document_number.as_deref(), Some("FR123456"));
        assert_eq!(document_number_term("FR123456<<"), document_number_term("fr 123 456"));
    }
}
