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

/// The alpha-2 code of an alpha-3 code as machine-readable zones write it (`FRA`, and `D` or
/// `D<<` for Germany).
pub fn alpha2_of(alpha3: &str) -> Option<&'static str> {
    static ALPHA3: &str = include_str!("../../assets/alpha3.tsv");
    let code = alpha3.trim_end_matches('<');
    if code == "D" {
        return Some("DE");
    }
    ALPHA3
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(a3, _)| *a3 == code)
        .map(|(_, a2)| a2)
}

/// A country's English name, from an alpha-2 or alpha-3 code, followed by the code; the code
/// alone when it names no country (an empty string stays empty).
pub fn label(code: &str) -> String {
    let alpha2 = if code.len() == 2 { Some(code) } else { alpha2_of(code) };
    match alpha2.and_then(|c| name(c, "en")) {
        Some(n) => format!("{n} ({code})"),
        None => code.to_owned(),
    }
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
        assert_eq!(label("FRA"), "France (FRA)");
        assert_eq!(label("D<<"), "Germany (D<<)");
        assert_eq!(label("GB"), "United Kingdom (GB)");
        assert_eq!(label("XXA"), "XXA");
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
