//! Every ISO 3166-1 country, named in each language of the hosted pages: `assets/countries.tsv`,
//! converted from Debian's iso-codes by `tools/countries/convert.py` (provenance and sha256 in
//! `assets/COUNTRIES-PROVENANCE.md`).

use std::sync::OnceLock;

static TABLE: &str = include_str!("../../assets/countries.tsv");
/// The table's language columns, in order.
const COLUMNS: [&str; 11] = ["en", "fr", "de", "es", "it", "nl", "pt", "pl", "ro", "lt", "zh"];

struct Country {
    code: &'static str,
    names: Vec<&'static str>,
}

fn table() -> &'static [Country] {
    static PARSED: OnceLock<Vec<Country>> = OnceLock::new();
    PARSED.get_or_init(|| {
        TABLE
            .lines()
            .filter_map(|line| {
                let mut cells = line.split('\t');
                let code = cells.next()?;
                let names: Vec<&str> = cells.collect();
                (names.len() == COLUMNS.len()).then_some(Country { code, names })
            })
            .collect()
    })
}

/// Every country's code.
pub fn codes() -> impl Iterator<Item = &'static str> {
    table().iter().map(|c| c.code)
}

/// A country's name in `lang` (English where the page's language has no column), or `None` for
/// a code ISO 3166-1 does not assign.
pub fn name(code: &str, lang: &str) -> Option<&'static str> {
    let column = COLUMNS.iter().position(|l| *l == lang).unwrap_or(0);
    table().iter().find(|c| c.code == code).map(|c| c.names[column])
}

/// A key that sorts names as a reader expects: accents and case do not count.
pub fn sort_key(name: &str) -> String {
    verity_domain::matching::readings(name)[0].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_assigned_country_is_named_in_every_language() {
        assert_eq!(codes().count(), 249);
        for code in ["NG", "RU", "PK", "CI", "RS", "MD", "AR", "FR"] {
            for lang in COLUMNS {
                assert!(name(code, lang).is_some_and(|n| !n.is_empty()), "{code} in {lang}");
            }
        }
        assert_eq!(name("DE", "fr"), Some("Allemagne"));
        assert_eq!(name("DE", "xx"), Some("Germany"));
        assert_eq!(name("ZZ", "en"), None);
    }

    #[test]
    fn accents_do_not_move_a_name_to_the_end() {
        let mut names = vec!["Zambie", "Émirats arabes unis", "Allemagne"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, ["Allemagne", "Émirats arabes unis", "Zambie"]);
    }
}
