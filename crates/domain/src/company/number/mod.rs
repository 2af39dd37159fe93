//! Company numbers: the country codes, the check shared by all countries, and the helpers the
//! per-country rules (one submodule each) are written with.

mod be;
mod de;
mod es;
mod fr;
mod gb;
mod it;
mod lu;
mod nl;

/// Why a company number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyNumberError {
    #[error("The company number is empty.")]
    Empty,
    /// The explanation says what the country's numbers look like.
    #[error("The company number does not have the expected format: {0}.")]
    Format(String),
    #[error("The company number's check digit does not match the rest of the number; it was probably mistyped.")]
    CheckDigit,
    #[error("\"{0}\" is not a country code: expected a two-letter ISO 3166 code such as FR or GB.")]
    UnsupportedCountry(String),
}

/// ISO 3166-1 alpha-2 codes officially assigned, plus XK (Kosovo, user-assigned but in common use).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
    LA LB LC LI LK LR LS LT LU LV LY \
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
    NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
    RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU \
    WF WS XK YE YT ZA ZM ZW";

type Rule = fn(&str) -> Result<String, CompanyNumberError>;

/// The countries whose numbers are checked, with their rules.
const RULES: &[(&str, Rule)] = &[
    ("BE", be::belgium),
    ("DE", de::germany),
    ("ES", es::spain),
    ("FR", fr::france),
    ("GB", gb::great_britain),
    ("IT", it::italy),
    ("LU", lu::luxembourg),
    ("NL", nl::netherlands),
];

/// The ISO code of `country` (trimmed, upper case), with the EU's own codes for the United Kingdom
/// (UK) and Greece (EL) read as the ISO ones.
pub(super) fn canonical_country(country: &str) -> Result<String, CompanyNumberError> {
    let code = country.trim().to_ascii_uppercase();
    let code = match code.as_str() {
        "UK" => "GB".to_owned(),
        "EL" => "GR".to_owned(),
        _ => code,
    };
    let known = code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) && COUNTRIES.contains(&code);
    if known {
        Ok(code)
    } else {
        Err(CompanyNumberError::UnsupportedCountry(country.trim().to_owned()))
    }
}

/// Whether [`normalise_company_number`] checks the numbers of `country` (ISO 3166 alpha-2, any
/// case). For other countries it accepts any non-empty number as typed (trimmed, upper case).
pub fn has_rules(country: &str) -> bool {
    canonical_country(country).is_ok_and(|code| RULES.iter().any(|(c, _)| *c == code))
}

/// What a company number of `country` looks like, for a form's hint (countries with rules only):
/// an example and the register's name.
pub fn example(country: &str) -> Option<(&'static str, &'static str)> {
    const EXAMPLES: [(&str, &str, &str); 8] = [
        ("FR", "552 100 554", "SIREN"),
        ("GB", "03977902", "Companies House"),
        ("DE", "HRB 12345", "Handelsregister"),
        ("BE", "0403.170.701", "BCE/KBO"),
        ("NL", "3301 4286", "KVK"),
        ("ES", "A58818501", "NIF"),
        ("IT", "00743110157", "Registro delle imprese"),
        ("LU", "B 123456", "RCS"),
    ];
    let code = canonical_country(country).ok()?;
    EXAMPLES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, example, register)| (*example, *register))
}

/// The formats of `country`'s numbers as regular expressions over the number without separators
/// (what Validate the format of User data returns as `ValidationRules`); empty for a country
/// without rules.
pub fn format_rules(country: &str) -> &'static [&'static str] {
    match canonical_country(country).as_deref() {
        Ok("FR") => &["^\\d{9}$", "^\\d{14}$"],
        Ok("GB") => &["^\\d{8}$", "^[A-Z]{2}\\d{6}$"],
        Ok("DE") => &["^(HRA|HRB|GNR|PR|VR)\\d{1,6}[A-Z]{0,2}$"],
        Ok("BE") => &["^[01]\\d{9}$"],
        Ok("NL") => &["^\\d{8}$"],
        Ok("ES") => &["^[A-HJNP-SUVW]\\d{7}[0-9A-J]$"],
        Ok("IT") => &[
            "^(IT)?\\d{11}$",
            "^[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]$",
            "^[A-Z]{2}\\d{6}$",
        ],
        Ok("LU") => &["^[A-Z]\\d{1,6}$"],
        _ => &[],
    }
}

/// Separators people type inside numbers: spaces, dots and dashes.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}')
}

/// Checks a company number of `country` (ISO 3166 alpha-2, any case) and returns its canonical
/// form: separators (spaces, dots, dashes) removed, upper case, format and check digit verified
/// where the country has them (see [`has_rules`]). Countries without rules get the number back
/// trimmed and in upper case.
pub fn normalise_company_number(country: &str, raw: &str) -> Result<String, CompanyNumberError> {
    let country = canonical_country(country)?;
    let compact: String = raw
        .chars()
        .filter(|c| !is_separator(*c))
        .flat_map(char::to_uppercase)
        .collect();
    if compact.is_empty() {
        return Err(CompanyNumberError::Empty);
    }
    match RULES.iter().find(|(c, _)| *c == country) {
        Some((_, rule)) => rule(&compact),
        None => Ok(raw.trim().to_uppercase()),
    }
}

fn format_error(expected: &str) -> CompanyNumberError {
    CompanyNumberError::Format(expected.to_owned())
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The values of a string of ASCII digits.
fn digits(s: &str) -> impl DoubleEndedIterator<Item = u32> + '_ {
    s.bytes().map(|b| u32::from(b - b'0'))
}

/// The value of a string of at most 18 ASCII digits.
fn value(s: &str) -> u64 {
    s.bytes().fold(0, |acc, b| acc * 10 + u64::from(b - b'0'))
}

/// Luhn (ISO/IEC 7812) over a string of ASCII digits, check digit last.
fn luhn_valid(s: &str) -> bool {
    let sum: u32 = digits(s)
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn check(valid: bool, canonical: String) -> Result<String, CompanyNumberError> {
    if valid {
        Ok(canonical)
    } else {
        Err(CompanyNumberError::CheckDigit)
    }
}

#[cfg(test)]
mod testing {
    //! Assertions shared by the tests of every country's rules.

    use super::{CompanyNumberError, normalise_company_number};

    pub(super) fn ok(country: &str, raw: &str) -> String {
        normalise_company_number(country, raw).unwrap_or_else(|e| panic!("{country} {raw}: {e}"))
    }

    pub(super) fn err(country: &str, raw: &str) -> CompanyNumberError {
        normalise_company_number(country, raw).expect_err(raw)
    }

    pub(super) fn is_format(e: CompanyNumberError) -> bool {
        matches!(e, CompanyNumberError::Format(_))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{err, ok};
    use super::*;

    #[test]
    fn country_codes() {
        assert!(has_rules("fr") && has_rules(" GB ") && has_rules("uk") && has_rules("LU"));
        assert!(!has_rules("PT") && !has_rules("XX") && !has_rules("FRA"));
        assert_eq!(ok("pt", " 503 004 642 "), "503 004 642");
        assert_eq!(ok("us", "abc-1"), "ABC-1");
        assert_eq!(
            err("FRA", "552100554"),
            CompanyNumberError::UnsupportedCountry("FRA".into())
        );
        assert_eq!(err("XX", "1"), CompanyNumberError::UnsupportedCountry("XX".into()));
        assert_eq!(err("FR", " .- "), CompanyNumberError::Empty);
        assert_eq!(err("PT", "  "), CompanyNumberError::Empty);
        assert_eq!(COUNTRIES.split_whitespace().count(), 250);
        // Every hint's example is a valid number of its country.
        for code in ["FR", "GB", "DE", "BE", "NL", "ES", "IT", "LU"] {
            let (example, _) = example(code).unwrap();
            assert!(normalise_company_number(code, example).is_ok(), "{code} {example}");
        }
        assert_eq!(example("US"), None);
    }

    #[test]
    fn error_messages_explain() {
        assert_eq!(
            err("BE", "12").to_string(),
            "The company number does not have the expected format: an enterprise number (10 digits starting with 0 or 1, e.g. 0403.170.701, optionally after BE)."
        );
        assert!(
            err("GB", "XY123456")
                .to_string()
                .contains("XY is not a Companies House prefix")
        );
        assert!(err("FR", "552100555").to_string().contains("check digit"));
    }
}
