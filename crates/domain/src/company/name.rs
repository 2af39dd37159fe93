//! Company names: normalisation and matching of names as people and registries spell them.

/// Legal forms (after punctuation removal, so "S.A.R.L." is "sarl") and other words that do not
/// tell companies apart.
const NOISE_WORDS: &[&str] = &[
    // English
    "the and ltd limited plc llp lp llc inc incorporated corp corporation co company",
    // French, Belgian, Luxembourgish
    "et cie sa sas sasu sarl eurl sca sci snc scs sprl scrl asbl",
    // German ("haftungsbeschränkt" once folded)
    "und gmbh mbh ag kg kgaa ohg ug ev ek haftungsbeschrankt",
    // Dutch
    "bv nv vof cv bvba",
    // Italian, Spanish
    "srl spa sapa sl slu",
];

fn is_noise(word: &str) -> bool {
    NOISE_WORDS
        .iter()
        .flat_map(|group| group.split_whitespace())
        .any(|noise| noise == word)
}

/// Letters folded to ASCII, after lower-casing: Latin-1 and Latin Extended-A, plus the Romanian
/// comma-below letters.
const FOLDS: &[(&str, &str)] = &[
    ("àáâãäåāăą", "a"),
    ("çćĉċč", "c"),
    ("ďđð", "d"),
    ("èéêëēĕėęě", "e"),
    ("ĝğġģ", "g"),
    ("ĥħ", "h"),
    ("ìíîïĩīĭįı", "i"),
    ("ĵ", "j"),
    ("ķĸ", "k"),
    ("ĺļľŀł", "l"),
    ("ñńņňŉŋ", "n"),
    ("òóôõöøōŏő", "o"),
    ("ŕŗř", "r"),
    ("śŝşšșſ", "s"),
    ("ţťŧț", "t"),
    ("ùúûüũūŭůűų", "u"),
    ("ŵ", "w"),
    ("ýÿŷ", "y"),
    ("źżž", "z"),
    ("ß", "ss"),
    ("æ", "ae"),
    ("œ", "oe"),
    ("þ", "th"),
    ("ĳ", "ij"),
];

/// A company name reduced for matching: lower case, accents dropped, `&` read as "and",
/// punctuation removed, and legal forms ("Ltd", "S.A.R.L.", "GmbH"...), "the" and "and" / "et" /
/// "und" dropped wherever they appear. Words are separated by single spaces. A name made only of
/// such words keeps them (so "The Company Ltd" does not become empty).
pub fn normalise_company_name(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            '&' => folded.push_str(" and "),
            // Dots and apostrophes join: "S.A." is "sa", "L'Oréal" is "loreal".
            '.' | '\'' | '`' | '\u{00b4}' | '\u{2018}' | '\u{2019}' => {}
            // Combining accents (decomposed input, or the dot of a lower-cased İ).
            '\u{0300}'..='\u{036f}' => {}
            c if c.is_ascii_alphanumeric() => folded.push(c),
            c => match FOLDS.iter().find(|(set, _)| set.contains(c)) {
                Some((_, ascii)) => folded.push_str(ascii),
                None if c.is_alphanumeric() => folded.push(c),
                None => folded.push(' '),
            },
        }
    }
    let words: Vec<&str> = folded.split_whitespace().collect();
    let kept: Vec<&str> = words.iter().copied().filter(|w| !is_noise(w)).collect();
    if kept.is_empty() {
        words.join(" ")
    } else {
        kept.join(" ")
    }
}

/// Whether two company names designate the same company as far as names tell: equal once
/// normalised ([`normalise_company_name`]), or the same words in another order. Empty names
/// match nothing.
pub fn company_names_match(a: &str, b: &str) -> bool {
    let (a, b) = (normalise_company_name(a), normalise_company_name(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let sorted = |s: &str| {
        let mut words: Vec<String> = s.split(' ').map(str::to_owned).collect();
        words.sort_unstable();
        words
    };
    sorted(&a) == sorted(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise_company_name("ACME S.A.R.L."), "acme");
        assert_eq!(normalise_company_name("Société Générale SA"), "societe generale");
        assert_eq!(normalise_company_name("Smith & Sons Ltd"), "smith sons");
        assert_eq!(
            normalise_company_name("  Müller  Straße GmbH & Co. KG "),
            "muller strasse"
        );
        assert_eq!(
            normalise_company_name("Łódź Œuvres Æther Ørsted"),
            "lodz oeuvres aether orsted"
        );
        assert_eq!(normalise_company_name("L'Oréal"), "loreal");
        assert_eq!(normalise_company_name("Beispiel UG (haftungsbeschränkt)"), "beispiel");
        assert_eq!(normalise_company_name("The Body Shop, Inc."), "body shop");
        assert_eq!(normalise_company_name("Rolls-Royce plc"), "rolls royce");
        assert_eq!(
            normalise_company_name("Societe\u{301} Ge\u{301}ne\u{301}rale"),
            "societe generale"
        );
        assert_eq!(normalise_company_name("The Company Ltd"), "the company ltd");
        assert_eq!(normalise_company_name(""), "");
    }

    #[test]
    fn names_match() {
        assert!(company_names_match("ACME S.A.R.L.", "Acme"));
        assert!(company_names_match("Société Générale SA", "SOCIETE GENERALE"));
        assert!(company_names_match("Smith & Sons Ltd", "SMITH AND SONS LIMITED"));
        assert!(company_names_match("Dupont et Fils", "Dupont & Fils SAS"));
        assert!(company_names_match("Generale Societe", "Société Générale S.A."));
        assert!(company_names_match("Beispiel GmbH", "BEISPIEL"));
        assert!(!company_names_match("Acme", "Acme Holdings"));
        assert!(!company_names_match("Acme", "Acne"));
        assert!(!company_names_match("", ""));
        assert!(!company_names_match("...", "Acme"));
    }
}
