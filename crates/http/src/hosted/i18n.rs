//! Translations of the hosted pages: one `key = value` file per language under `locales/`,
//! compiled into the binary. English is the reference; a test checks every language has exactly
//! its keys and placeholders.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Supported languages, in the order of the language switcher.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en.ftl")),
    ("fr", include_str!("../../locales/fr.ftl")),
    ("de", include_str!("../../locales/de.ftl")),
    ("es", include_str!("../../locales/es.ftl")),
    ("it", include_str!("../../locales/it.ftl")),
    ("nl", include_str!("../../locales/nl.ftl")),
    ("pt", include_str!("../../locales/pt.ftl")),
    ("pl", include_str!("../../locales/pl.ftl")),
    ("ro", include_str!("../../locales/ro.ftl")),
    ("lt", include_str!("../../locales/lt.ftl")),
    ("zh", include_str!("../../locales/zh.ftl")),
];

pub fn parse(source: &str) -> Vec<(String, String)> {
    source
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

static TABLES: LazyLock<HashMap<&'static str, HashMap<String, String>>> = LazyLock::new(|| {
    LANGUAGES
        .iter()
        .map(|(code, src)| (*code, parse(src).into_iter().collect()))
        .collect()
});

/// The translator of one page.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: &'static str,
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        Tr {
            lang: LANGUAGES.iter().map(|(c, _)| *c).find(|c| *c == lang).unwrap_or("en"),
        }
    }

    /// The text of `key` (English when missing, the key itself as a last resort).
    pub fn t(&self, key: &str) -> String {
        TABLES
            .get(self.lang)
            .and_then(|t| t.get(key))
            .or_else(|| TABLES.get("en").and_then(|t| t.get(key)))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// The text of `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key);
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    pub fn name_of(code: &str) -> String {
        Tr::new(code).t("lang-name")
    }
}

/// Whether `code` is a supported language.
pub fn supported(code: &str) -> bool {
    verity_domain::client::page_language_supported(code)
}

/// The best supported language of an `Accept-Language` header.
pub fn negotiate(accept_language: &str) -> Option<&'static str> {
    let mut ranges: Vec<(f32, String)> = accept_language
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((q, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    ranges.into_iter().find_map(|(_, tag)| {
        let primary = tag.split('-').next().unwrap_or("");
        LANGUAGES.iter().map(|(c, _)| *c).find(|c| *c == primary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_page_language_has_its_messages() {
        let codes: Vec<&str> = LANGUAGES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, verity_domain::client::PAGE_LANGUAGES);
    }

    fn placeholders(v: &str) -> BTreeSet<String> {
        v.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
            .collect()
    }

    #[test]
    fn every_language_has_every_key_and_placeholder() {
        let reference = parse(LANGUAGES[0].1);
        let keys: Vec<&String> = reference.iter().map(|(k, _)| k).collect();
        assert!(keys.len() > 100);
        for (code, src) in LANGUAGES {
            let table = parse(src);
            let their_keys: Vec<&String> = table.iter().map(|(k, _)| k).collect();
            assert_eq!(their_keys, keys, "{code}: keys differ from English");
            for ((k, en), (_, theirs)) in reference.iter().zip(&table) {
                assert!(!theirs.is_empty(), "{code}: {k} is empty");
                assert_eq!(placeholders(en), placeholders(theirs), "{code}: placeholders of {k}");
            }
            // A file copied from English would pass the key check: most texts must differ.
            if *code != "en" {
                let same = reference
                    .iter()
                    .zip(&table)
                    .filter(|((_, en), (_, theirs))| en == theirs)
                    .count();
                assert!(same * 5 < reference.len(), "{code}: {same} texts are still English");
            }
        }
    }

    #[test]
    fn accept_language_negotiation() {
        assert_eq!(negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Some("fr"));
        assert_eq!(negotiate("ja, de;q=0.5"), Some("de"));
        assert_eq!(negotiate("en-GB;q=0.2, lt;q=0.9"), Some("lt"));
        assert_eq!(negotiate("ja"), None);
        assert!(
            Tr::new("pl")
                .f("step-of", &[("current", "2"), ("total", "7")])
                .contains('7')
        );
    }
}
