//! Companies for KYB: registration numbers as each country's registry writes them (format and check
//! digit), company names as people and registries spell them, and registry extracts imported as CSV.
//! Pure: nothing here reads a registry, it only checks and normalises what was typed or imported.

use serde::{Deserialize, Serialize};

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
    ("BE", belgium),
    ("DE", germany),
    ("ES", spain),
    ("FR", france),
    ("GB", great_britain),
    ("IT", italy),
    ("LU", luxembourg),
    ("NL", netherlands),
];

/// The ISO code of `country` (trimmed, upper case), with the EU's own codes for the United Kingdom
/// (UK) and Greece (EL) read as the ISO ones.
fn canonical_country(country: &str) -> Result<String, CompanyNumberError> {
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
    sum % 10 == 0
}

fn check(valid: bool, canonical: String) -> Result<String, CompanyNumberError> {
    if valid {
        Ok(canonical)
    } else {
        Err(CompanyNumberError::CheckDigit)
    }
}

// ---------------------------------------------------------------------------------------------
// France: SIREN, SIRET, VAT number.

const FR_EXPECTED: &str =
    "a SIREN (9 digits), a SIRET (14 digits) or a French VAT number (FR, a two-digit key and the SIREN)";

/// The SIREN of La Poste, whose establishments' SIRETs use a digit sum instead of Luhn.
const LA_POSTE: &str = "356000000";

fn france(n: &str) -> Result<String, CompanyNumberError> {
    if let Some(rest) = n.strip_prefix("FR") {
        if rest.len() != 11 || !is_digits(rest) {
            return Err(format_error(FR_EXPECTED));
        }
        let (key, siren) = rest.split_at(2);
        let expected = (12 + 3 * (value(siren) % 97)) % 97;
        return check(luhn_valid(siren) && value(key) == expected, siren.to_owned());
    }
    if !is_digits(n) {
        return Err(format_error(FR_EXPECTED));
    }
    match n.len() {
        9 => check(luhn_valid(n), n.to_owned()),
        14 => {
            let la_poste = n.starts_with(LA_POSTE) && digits(n).sum::<u32>() % 5 == 0;
            check(luhn_valid(n) || la_poste, n.to_owned())
        }
        _ => Err(format_error(FR_EXPECTED)),
    }
}

// ---------------------------------------------------------------------------------------------
// United Kingdom: Companies House.

const GB_EXPECTED: &str = "a Companies House number: 8 digits (e.g. 01234567) or a two-letter prefix such as SC, NI or OC followed by 6 digits";

/// Companies House company number prefixes (England & Wales companies have none).
const GB_PREFIXES: &[&str] = &[
    "AC", // assurance company, England & Wales
    "CE", // charitable incorporated organisation, England & Wales
    "CS", // charitable incorporated organisation, Scotland
    "EN", // European company (SE), Northern Ireland
    "ES", // European company (SE), Scotland
    "FC", // overseas company
    "GE", // European Economic Interest Grouping, England & Wales
    "GN", // European Economic Interest Grouping, Northern Ireland
    "GS", // European Economic Interest Grouping, Scotland
    "IC", // investment company with variable capital, England & Wales
    "IP", // industrial and provident society, England & Wales
    "LP", // limited partnership, England & Wales
    "NA", // assurance company, Northern Ireland
    "NC", // limited liability partnership, Northern Ireland
    "NF", // overseas company, Northern Ireland (before October 2009)
    "NI", // Northern Ireland company
    "NL", // limited partnership, Northern Ireland
    "NO", // credit union / industrial and provident society, Northern Ireland
    "NP", // industrial and provident society, Northern Ireland
    "NR", // royal charter company, Northern Ireland
    "NV", // investment company with variable capital, Northern Ireland
    "NZ", // unregistered company, Northern Ireland
    "OC", // limited liability partnership, England & Wales
    "OE", // overseas entity (Register of Overseas Entities)
    "R0", // Northern Ireland company registered before partition
    "RC", // royal charter company, England & Wales
    "RS", // registered society
    "SA", // assurance company, Scotland
    "SC", // Scottish company
    "SE", // European company (SE), England & Wales
    "SF", // overseas company, Scotland (before October 2009)
    "SG", // Scottish qualifying partnership
    "SI", // investment company with variable capital, Scotland
    "SL", // limited partnership, Scotland
    "SO", // limited liability partnership, Scotland
    "SP", // industrial and provident society, Scotland
    "SR", // royal charter company, Scotland
    "SZ", // unregistered company, Scotland
    "ZC", // unregistered company, England & Wales
];

fn great_britain(n: &str) -> Result<String, CompanyNumberError> {
    if is_digits(n) {
        return if n.len() <= 8 {
            Ok(format!("{n:0>8}"))
        } else {
            Err(format_error(GB_EXPECTED))
        };
    }
    if n.len() == 8 && n.is_ascii() {
        let (prefix, number) = n.split_at(2);
        if is_digits(number) {
            if GB_PREFIXES.contains(&prefix) {
                return Ok(n.to_owned());
            }
            return Err(CompanyNumberError::Format(format!(
                "{prefix} is not a Companies House prefix; expected {GB_EXPECTED}"
            )));
        }
    }
    Err(format_error(GB_EXPECTED))
}

// ---------------------------------------------------------------------------------------------
// Germany: Handelsregister and the other court registers, VAT number.

const DE_EXPECTED: &str = "a register number (HRA, HRB, GnR, GsR, PR or VR followed by up to 6 digits and an optional court suffix, e.g. HRB 12345) or a German VAT number (DE and 9 digits)";

/// Register kinds as typed once upper-cased, and as written.
const DE_REGISTERS: &[(&str, &str)] = &[
    ("HRA", "HRA"), // Handelsregister A: sole traders, partnerships
    ("HRB", "HRB"), // Handelsregister B: corporations
    ("GNR", "GnR"), // Genossenschaftsregister: cooperatives
    ("GSR", "GsR"), // Gesellschaftsregister: registered civil-law partnerships (since 2024)
    ("PR", "PR"),   // Partnerschaftsregister
    ("VR", "VR"),   // Vereinsregister: associations
];

/// ISO 7064 MOD 11,10 over 9 digits, check digit last (German VAT numbers).
fn mod_11_10_valid(s: &str) -> bool {
    let mut product = 10;
    let mut all = digits(s);
    for d in all.by_ref().take(8) {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let expected = (11 - product) % 10;
    all.next() == Some(expected)
}

fn germany(n: &str) -> Result<String, CompanyNumberError> {
    if let Some(rest) = n.strip_prefix("DE") {
        if rest.len() != 9 || !is_digits(rest) {
            return Err(format_error(DE_EXPECTED));
        }
        return check(mod_11_10_valid(rest), n.to_owned());
    }
    for (typed, written) in DE_REGISTERS {
        let Some(rest) = n.strip_prefix(typed) else { continue };
        let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(end);
        let number = number.trim_start_matches('0');
        let suffix_ok = suffix.len() <= 2 && suffix.bytes().all(|b| b.is_ascii_uppercase());
        if number.is_empty() || number.len() > 6 || !suffix_ok {
            return Err(format_error(DE_EXPECTED));
        }
        return Ok(if suffix.is_empty() {
            format!("{written} {number}")
        } else {
            format!("{written} {number} {suffix}")
        });
    }
    Err(format_error(DE_EXPECTED))
}

// ---------------------------------------------------------------------------------------------
// Netherlands: KvK number, RSIN.

const NL_EXPECTED: &str = "a KvK number (8 digits) or an RSIN (9 digits)";

/// The eleven-proof of RSINs (and BSNs): weights 9..2 and -1.
fn eleven_proof(s: &str) -> bool {
    let sum: i64 = digits(s)
        .enumerate()
        .map(|(i, d)| {
            if i == 8 {
                -i64::from(d)
            } else {
                i64::from(d) * (9 - i as i64)
            }
        })
        .sum();
    sum % 11 == 0
}

fn netherlands(n: &str) -> Result<String, CompanyNumberError> {
    if !is_digits(n) {
        return Err(format_error(NL_EXPECTED));
    }
    match n.len() {
        8 => Ok(n.to_owned()),
        9 => check(eleven_proof(n), n.to_owned()),
        _ => Err(format_error(NL_EXPECTED)),
    }
}

// ---------------------------------------------------------------------------------------------
// Belgium: enterprise number (BCE/KBO), which is also the VAT number.

const BE_EXPECTED: &str =
    "an enterprise number (10 digits starting with 0 or 1, e.g. 0403.170.701, optionally after BE)";

fn belgium(n: &str) -> Result<String, CompanyNumberError> {
    let n = n.strip_prefix("BE").unwrap_or(n);
    if !is_digits(n) {
        return Err(format_error(BE_EXPECTED));
    }
    let n = match n.len() {
        9 => format!("0{n}"),
        10 => n.to_owned(),
        _ => return Err(format_error(BE_EXPECTED)),
    };
    if !(n.starts_with('0') || n.starts_with('1')) {
        return Err(format_error(BE_EXPECTED));
    }
    let valid = 97 - value(&n[..8]) % 97 == value(&n[8..]);
    check(valid, n)
}

// ---------------------------------------------------------------------------------------------
// Spain: CIF, NIF (DNI), NIE.

const ES_EXPECTED: &str = "a CIF (a letter, 7 digits and a check digit or letter, e.g. A58818501), a NIF/DNI (8 digits and a letter) or an NIE (X, Y or Z, 7 digits and a letter)";

const DNI_LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
const CIF_LETTERS: &str = "ABCDEFGHJNPQRSUVW";
const CIF_CONTROL_LETTERS: &[u8] = b"JABCDEFGHI";

fn dni_letter(number: u64) -> u8 {
    DNI_LETTERS[(number % 23) as usize]
}

/// The CIF control digit of its 7 digits: Luhn-like, doubling the 1st, 3rd, 5th and 7th digit.
fn cif_control(body: &str) -> usize {
    let sum: u32 = digits(body)
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { d })
        .sum();
    ((10 - sum % 10) % 10) as usize
}

fn spain(n: &str) -> Result<String, CompanyNumberError> {
    let n = match n.strip_prefix("ES") {
        Some(rest) if rest.len() == 9 => rest,
        _ => n,
    };
    if n.len() != 9 || !n.is_ascii() {
        return Err(format_error(ES_EXPECTED));
    }
    let bytes = n.as_bytes();
    let (first, body, control) = (bytes[0], &n[1..8], bytes[8]);
    if !is_digits(body) {
        return Err(format_error(ES_EXPECTED));
    }
    let valid = match first {
        // NIF of a Spanish national (DNI): 8 digits and a letter.
        b'0'..=b'9' => {
            if !control.is_ascii_uppercase() {
                return Err(format_error(ES_EXPECTED));
            }
            dni_letter(value(&n[..8])) == control
        }
        // NIE of a foreign resident: X, Y, Z stand for 0, 1, 2.
        b'X' | b'Y' | b'Z' => {
            if !control.is_ascii_uppercase() {
                return Err(format_error(ES_EXPECTED));
            }
            dni_letter(u64::from(first - b'X') * 10_000_000 + value(body)) == control
        }
        // NIF of people without DNI or NIE (K: minors, L: non-residents, M: foreigners): DNI letter.
        b'K' | b'L' | b'M' => {
            if !control.is_ascii_uppercase() {
                return Err(format_error(ES_EXPECTED));
            }
            dni_letter(value(body)) == control
        }
        // CIF of a legal entity.
        c if CIF_LETTERS.as_bytes().contains(&c) => {
            if !control.is_ascii_alphanumeric() {
                return Err(format_error(ES_EXPECTED));
            }
            let digit = cif_control(body);
            let by_digit = control == b'0' + digit as u8;
            let by_letter = control == CIF_CONTROL_LETTERS[digit];
            match c {
                // Companies (sociedades anónimas, limitadas), communities of property: a digit.
                b'A' | b'B' | b'E' | b'H' => by_digit,
                // Non-resident entities, public bodies, religious bodies, foreign-state bodies: a letter.
                b'N' | b'P' | b'Q' | b'R' | b'S' | b'W' => by_letter,
                _ => by_digit || by_letter,
            }
        }
        _ => return Err(format_error(ES_EXPECTED)),
    };
    check(valid, n.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Italy: partita IVA, codice fiscale.

const IT_EXPECTED: &str =
    "a partita IVA (11 digits, optionally after IT) or a codice fiscale (16 letters and digits, e.g. RSSMRA85T10A562S)";

/// Letters that replace digits in a codice fiscale when two people would share one (omocodia).
const OMOCODIA: &[u8] = b"LMNPQRSTUV";
/// Month letters of a codice fiscale.
const CF_MONTHS: &[u8] = b"ABCDEHLMPRST";
/// Values of the characters in odd positions (1st, 3rd, ...) of a codice fiscale, for 0-9 and A-Z.
const CF_ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

fn codice_fiscale_format(n: &[u8]) -> bool {
    let letter = |i: usize| n[i].is_ascii_uppercase();
    let digit = |i: usize| n[i].is_ascii_digit() || OMOCODIA.contains(&n[i]);
    n.len() == 16
        && (0..6).all(letter)
        && (6..8).all(digit)
        && CF_MONTHS.contains(&n[8])
        && (9..11).all(digit)
        && letter(11)
        && (12..15).all(digit)
        && letter(15)
}

fn codice_fiscale_check(n: &[u8]) -> u8 {
    let sum: u32 = n[..15]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let v = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A')
            };
            if i % 2 == 0 { CF_ODD[v as usize] } else { v }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

fn italy(n: &str) -> Result<String, CompanyNumberError> {
    let n = match n.strip_prefix("IT") {
        Some(rest) if rest.len() == 11 => rest,
        _ => n,
    };
    if n.len() == 11 && is_digits(n) {
        return check(luhn_valid(n), n.to_owned());
    }
    let bytes = n.as_bytes();
    if n.is_ascii() && codice_fiscale_format(bytes) {
        return check(codice_fiscale_check(bytes) == bytes[15], n.to_owned());
    }
    Err(format_error(IT_EXPECTED))
}

// ---------------------------------------------------------------------------------------------
// Luxembourg: RCS number, VAT number.

const LU_EXPECTED: &str = "an RCS number (a section letter such as B and up to 6 digits, e.g. B123456) or a Luxembourg VAT number (LU and 8 digits)";

/// Sections of the Registre de commerce et des sociétés.
const RCS_SECTIONS: &str = "ABCDEFGHJK";

fn luxembourg(n: &str) -> Result<String, CompanyNumberError> {
    if let Some(rest) = n.strip_prefix("LU") {
        if rest.len() != 8 || !is_digits(rest) {
            return Err(format_error(LU_EXPECTED));
        }
        return check(value(&rest[..6]) % 89 == value(&rest[6..]), n.to_owned());
    }
    let mut chars = n.chars();
    if let Some(section) = chars.next().filter(|c| RCS_SECTIONS.contains(*c)) {
        let number = chars.as_str();
        if is_digits(number) {
            let number = number.trim_start_matches('0');
            if !number.is_empty() && number.len() <= 6 {
                return Ok(format!("{section}{number}"));
            }
        }
    }
    Err(format_error(LU_EXPECTED))
}

// ---------------------------------------------------------------------------------------------
// Company names.

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

// ---------------------------------------------------------------------------------------------
// Registry extracts.

/// A company as a registry extract lists it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RegistryRecord {
    /// ISO 3166 alpha-2, upper case.
    pub country: String,
    /// Canonical form ([`normalise_company_number`]).
    pub number: String,
    pub name: String,
    pub active: bool,
    /// Full names.
    pub officers: Vec<String>,
    /// Full names.
    pub owners: Vec<String>,
}

/// A registry CSV that cannot be read; `line` is the physical line (1 is the header) where the
/// offending record starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

fn csv_error(line: usize, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        message: message.into(),
    }
}

const COLUMNS: [&str; 6] = ["country", "number", "name", "status", "officers", "owners"];
const COUNTRY: usize = 0;
const NUMBER: usize = 1;
const NAME: usize = 2;
const STATUS: usize = 3;
const OFFICERS: usize = 4;
const OWNERS: usize = 5;

/// Where the CSV reader is within a field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Start,
    Unquoted,
    /// Inside quotes opened on this line.
    Quoted(usize),
    AfterQuote,
}

/// Splits RFC 4180 CSV into records, each with the line it starts on. Fields may be quoted (with
/// `""` for a quote, and commas and line breaks inside); records end with CRLF, LF or CR. Spaces
/// around a quoted field are ignored; a quote inside an unquoted field is kept as it is.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut state = Field::Start;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Field::Quoted(_) = state {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => state = Field::AfterQuote,
                _ => {
                    if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                state = Field::Start;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                records.push((record_line, std::mem::take(&mut fields)));
                line += 1;
                record_line = line;
                state = Field::Start;
            }
            '"' if state == Field::Start || (state == Field::Unquoted && field.trim().is_empty()) => {
                field.clear();
                state = Field::Quoted(line);
            }
            _ if state == Field::AfterQuote => {
                if !c.is_whitespace() {
                    return Err(csv_error(
                        line,
                        "unexpected text after a closing quote (quotes inside a quoted field must be doubled)",
                    ));
                }
            }
            _ => {
                field.push(c);
                state = Field::Unquoted;
            }
        }
    }
    if let Field::Quoted(start) = state {
        return Err(csv_error(start, "a quoted field is never closed"));
    }
    if state != Field::Start || !fields.is_empty() || !field.is_empty() {
        fields.push(field);
        records.push((record_line, fields));
    }
    Ok(records)
}

fn people(list: &str) -> Vec<String> {
    list.split(';')
        .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|name| !name.is_empty())
        .collect()
}

/// Reads a registry extract: a CSV (RFC 4180, UTF-8, optional BOM) whose header names, in any
/// order and case, the columns `country`, `number`, `name`, `status` (`active`, `A` or `open`;
/// `closed` or `C`), `officers` and `owners` (`;`-separated full names, possibly none). Other
/// columns are ignored, blank lines skipped. Numbers are checked and normalised with
/// [`normalise_company_number`]; the first bad record fails the whole file.
pub fn parse_registry_csv(text: &str) -> Result<Vec<RegistryRecord>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = csv_records(text)?
        .into_iter()
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()));
    let Some((header_line, header)) = records.next() else {
        return Err(csv_error(
            1,
            format!("the file is empty: expected a header row with {}", COLUMNS.join(", ")),
        ));
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut index = [0; COLUMNS.len()];
    let mut missing = Vec::new();
    for (slot, column) in COLUMNS.iter().enumerate() {
        let mut found = names
            .iter()
            .enumerate()
            .filter(|(_, name)| name == column)
            .map(|(i, _)| i);
        match (found.next(), found.next()) {
            (Some(i), None) => index[slot] = i,
            (Some(_), Some(_)) => return Err(csv_error(header_line, format!("the column {column} appears twice"))),
            (None, _) => missing.push(*column),
        }
    }
    if !missing.is_empty() {
        let plural = if missing.len() > 1 { "s" } else { "" };
        return Err(csv_error(
            header_line,
            format!("missing required column{plural}: {}", missing.join(", ")),
        ));
    }

    let mut out = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            return Err(csv_error(
                line,
                format!(
                    "expected {} fields as in the header, found {}",
                    header.len(),
                    fields.len()
                ),
            ));
        }
        let get = |slot: usize| fields[index[slot]].trim();
        let country = canonical_country(get(COUNTRY)).map_err(|e| csv_error(line, e.to_string()))?;
        let number = normalise_company_number(&country, get(NUMBER))
            .map_err(|e| csv_error(line, format!("company number \"{}\": {e}", get(NUMBER))))?;
        let name = get(NAME);
        if name.is_empty() {
            return Err(csv_error(line, "the company name is empty"));
        }
        let active = match get(STATUS).to_lowercase().as_str() {
            "active" | "a" | "open" => true,
            "closed" | "c" => false,
            other => {
                return Err(csv_error(
                    line,
                    format!("unknown status \"{other}\": expected active (or A, open) or closed (or C)"),
                ));
            }
        };
        out.push(RegistryRecord {
            country,
            number,
            name: name.to_owned(),
            active,
            officers: people(get(OFFICERS)),
            owners: people(get(OWNERS)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(country: &str, raw: &str) -> String {
        normalise_company_number(country, raw).unwrap_or_else(|e| panic!("{country} {raw}: {e}"))
    }

    fn err(country: &str, raw: &str) -> CompanyNumberError {
        normalise_company_number(country, raw).expect_err(raw)
    }

    fn is_format(e: CompanyNumberError) -> bool {
        matches!(e, CompanyNumberError::Format(_))
    }

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
    }

    #[test]
    fn france() {
        assert_eq!(ok("FR", "552 100 554"), "552100554");
        assert_eq!(ok("fr", "443.061.841"), "443061841");
        assert_eq!(ok("FR", "732829320"), "732829320");
        assert_eq!(ok("FR", "443 061 841 00047"), "44306184100047");
        assert_eq!(ok("FR", "73282932000074"), "73282932000074");
        // La Poste: the head office passes Luhn, the other establishments use the digit sum.
        assert_eq!(ok("FR", "35600000000048"), "35600000000048");
        assert_eq!(ok("FR", "356 000 000 49837"), "35600000049837");
        assert!(!luhn_valid("35600000049837"));
        assert_eq!(err("FR", "35600000049838"), CompanyNumberError::CheckDigit);
        assert_eq!(err("FR", "73282932000075"), CompanyNumberError::CheckDigit);
        // VAT numbers give the SIREN.
        assert_eq!(ok("FR", "FR 64 443061841"), "443061841");
        assert_eq!(ok("FR", "fr44732829320"), "732829320");
        assert_eq!(err("FR", "FR65443061841"), CompanyNumberError::CheckDigit);
        assert_eq!(err("FR", "552100555"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("FR", "55210055")));
        assert!(is_format(err("FR", "55210055A")));
        assert!(is_format(err("FR", "FRXX443061841")));
    }

    #[test]
    fn great_britain() {
        assert_eq!(ok("GB", "03977902"), "03977902");
        assert_eq!(ok("GB", "3977902"), "03977902");
        assert_eq!(ok("uk", "sc 123456"), "SC123456");
        assert_eq!(ok("GB", "OC300001"), "OC300001");
        assert_eq!(ok("GB", "R0000123"), "R0000123");
        assert_eq!(ok("GB", "NI-012345"), "NI012345");
        assert!(is_format(err("GB", "XY123456")));
        assert!(is_format(err("GB", "123456789")));
        assert!(is_format(err("GB", "SC12345")));
        assert!(is_format(err("GB", "SC12345A")));
    }

    #[test]
    fn germany() {
        assert_eq!(ok("DE", "HRB 12345"), "HRB 12345");
        assert_eq!(ok("de", "hrb12345"), "HRB 12345");
        assert_eq!(ok("DE", "HRA 001234"), "HRA 1234");
        assert_eq!(ok("DE", "HRB 12345 B"), "HRB 12345 B");
        assert_eq!(ok("DE", "HRB 1234 KI"), "HRB 1234 KI");
        assert_eq!(ok("DE", "GnR 42"), "GnR 42");
        assert_eq!(ok("DE", "VR 7001"), "VR 7001");
        assert_eq!(ok("DE", "PR 123"), "PR 123");
        assert_eq!(ok("DE", "DE 136 695 976"), "DE136695976");
        assert!(mod_11_10_valid("136695976"));
        assert_eq!(err("DE", "DE136695977"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("DE", "HRB")));
        assert!(is_format(err("DE", "HRB 1234567")));
        assert!(is_format(err("DE", "HRC 1234")));
        assert!(is_format(err("DE", "HRB 12345 BXY")));
        assert!(is_format(err("DE", "DE12345678")));
        assert!(is_format(err("DE", "12345")));
    }

    #[test]
    fn netherlands() {
        assert_eq!(ok("NL", "3301 4286"), "33014286");
        assert_eq!(ok("NL", "001671248"), "001671248");
        assert_eq!(ok("NL", "123456782"), "123456782");
        assert_eq!(err("NL", "123456783"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("NL", "1234567")));
        assert!(is_format(err("NL", "NL123456782")));
    }

    #[test]
    fn belgium() {
        assert_eq!(ok("BE", "0403.170.701"), "0403170701");
        assert_eq!(ok("BE", "403170701"), "0403170701");
        assert_eq!(ok("be", "BE 0403 170 701"), "0403170701");
        assert_eq!(err("BE", "0403.170.702"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("BE", "2403170701")));
        assert!(is_format(err("BE", "04031707")));
    }

    #[test]
    fn spain() {
        assert_eq!(ok("ES", "A58818501"), "A58818501");
        assert_eq!(ok("ES", "A-28015865"), "A28015865");
        assert_eq!(ok("ES", "a13 585 625"), "A13585625");
        assert_eq!(ok("ES", "ESA58818501"), "A58818501");
        assert_eq!(ok("ES", "Q2826000H"), "Q2826000H");
        assert_eq!(ok("ES", "S2800568D"), "S2800568D");
        assert_eq!(ok("ES", "P0800000B"), "P0800000B");
        // J (civil partnerships) takes a digit or a letter.
        assert_eq!(ok("ES", "J99216582"), "J99216582");
        assert_eq!(ok("ES", "J9921658B"), "J9921658B");
        // A requires a digit, Q a letter.
        assert_eq!(err("ES", "A5881850A"), CompanyNumberError::CheckDigit);
        assert_eq!(err("ES", "Q28260008"), CompanyNumberError::CheckDigit);
        assert_eq!(err("ES", "A58818502"), CompanyNumberError::CheckDigit);
        // NIF, NIE, K/L/M.
        assert_eq!(ok("ES", "12345678-z"), "12345678Z");
        assert_eq!(err("ES", "12345678A"), CompanyNumberError::CheckDigit);
        assert_eq!(ok("ES", "X1234567L"), "X1234567L");
        assert_eq!(ok("ES", "Y1234567X"), "Y1234567X");
        assert_eq!(err("ES", "Z1234567L"), CompanyNumberError::CheckDigit);
        assert_eq!(ok("ES", "M1234567L"), "M1234567L");
        assert!(is_format(err("ES", "O1234567L")));
        assert!(is_format(err("ES", "A5881850")));
        assert!(is_format(err("ES", "1234567ZZ")));
    }

    #[test]
    fn italy() {
        assert_eq!(ok("IT", "00743110157"), "00743110157");
        assert_eq!(ok("it", "IT 12345678903"), "12345678903");
        assert_eq!(err("IT", "00743110158"), CompanyNumberError::CheckDigit);
        assert_eq!(ok("IT", "rssmra85t10a562s"), "RSSMRA85T10A562S");
        assert_eq!(ok("IT", "MRTMTT91D08F205J"), "MRTMTT91D08F205J");
        // Omocodia: the last digit replaced by its letter, with its own check letter.
        assert_eq!(ok("IT", "RSSMRA85T10A56NH"), "RSSMRA85T10A56NH");
        assert_eq!(err("IT", "RSSMRA85T10A562T"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("IT", "RSSMRA85Z10A562S")));
        assert!(is_format(err("IT", "0074311015")));
    }

    #[test]
    fn luxembourg() {
        assert_eq!(ok("LU", "B 123456"), "B123456");
        assert_eq!(ok("lu", "b18052"), "B18052");
        assert_eq!(ok("LU", "E 0042"), "E42");
        assert_eq!(ok("LU", "LU 1502 7442"), "LU15027442");
        assert_eq!(err("LU", "LU15027443"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("LU", "B1234567")));
        assert!(is_format(err("LU", "I123")));
        assert!(is_format(err("LU", "15027442")));
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

    const HEADER: &str = "country,number,name,status,officers,owners";

    #[test]
    fn csv_is_read() {
        let text = format!(
            "\u{feff}{HEADER}\r\nFR,552 100 554,\"Acme, \"\"Europe\"\" SA\",active,Jean Dupont;Marie Curie,\r\n\r\n\
             gb,3977902,Widgets Ltd,C,,\"Ann Smith; Bob Jones\"\n"
        );
        let records = parse_registry_csv(&text).unwrap();
        assert_eq!(
            records,
            vec![
                RegistryRecord {
                    country: "FR".into(),
                    number: "552100554".into(),
                    name: "Acme, \"Europe\" SA".into(),
                    active: true,
                    officers: vec!["Jean Dupont".into(), "Marie Curie".into()],
                    owners: vec![],
                },
                RegistryRecord {
                    country: "GB".into(),
                    number: "03977902".into(),
                    name: "Widgets Ltd".into(),
                    active: false,
                    officers: vec![],
                    owners: vec!["Ann Smith".into(), "Bob Jones".into()],
                },
            ]
        );
    }

    #[test]
    fn csv_columns_in_any_order_and_multiline_fields() {
        let text = "Owners,STATUS,Extra,Name,Officers,Number,Country\n\
                    \"Ann\nSmith\",open,x,\"Multi\r\nLine\",,0403.170.701,be\n\
                    ,closed,,Other,\"A, B\",HRB 1,DE";
        let records = parse_registry_csv(text).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].number, "0403170701");
        assert_eq!(records[0].name, "Multi\r\nLine");
        assert_eq!(records[0].owners, vec!["Ann Smith".to_owned()]);
        assert!(records[0].active);
        assert_eq!(records[1].number, "HRB 1");
        assert_eq!(records[1].officers, vec!["A, B".to_owned()]);
        assert!(!records[1].active);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let bad_number =
            format!("{HEADER}\nFR,552100554,A,active,,\n\"FR\",\"552100555\",\"B\nC\",active,,\nFR,1,D,active,,");
        let e = parse_registry_csv(&bad_number).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.to_string().starts_with("line 3: company number \"552100555\": "),
            "{e}"
        );

        let after_multiline = format!("{HEADER}\n\"FR\",\"552100554\",\"B\nC\",active,,\nFR,1,D,active,,");
        assert_eq!(parse_registry_csv(&after_multiline).unwrap_err().line, 4);

        let e = parse_registry_csv("country,number,name,status\nFR,552100554,A,active").unwrap_err();
        assert_eq!(
            e,
            CsvError {
                line: 1,
                message: "missing required columns: officers, owners".into()
            }
        );
        assert_eq!(e.to_string(), "line 1: missing required columns: officers, owners");

        assert_eq!(parse_registry_csv("").unwrap_err().line, 1);
        let status = parse_registry_csv(&format!("{HEADER}\nFR,552100554,A,dormant,,")).unwrap_err();
        assert_eq!(status.line, 2);
        assert!(status.message.contains("dormant"));
        assert_eq!(
            parse_registry_csv(&format!("{HEADER}\nFR,552100554,A,active,"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            parse_registry_csv(&format!("{HEADER}\nFR,552100554,,active,,"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            parse_registry_csv(&format!("{HEADER}\nXX,552100554,A,active,,"))
                .unwrap_err()
                .line,
            2
        );
        let unclosed = parse_registry_csv(&format!("{HEADER}\nFR,552100554,\"A,active,,\n")).unwrap_err();
        assert_eq!(
            unclosed,
            CsvError {
                line: 2,
                message: "a quoted field is never closed".into()
            }
        );
        let stray = parse_registry_csv(&format!("{HEADER}\nFR,552100554,\"A\"B,active,,")).unwrap_err();
        assert_eq!(stray.line, 2);
        let twice = parse_registry_csv(&format!("{HEADER},Name\n")).unwrap_err();
        assert_eq!(twice.line, 1);
    }

    #[test]
    fn csv_header_only_and_spaces_around_quotes() {
        assert_eq!(parse_registry_csv(&format!("{HEADER}\n")).unwrap(), vec![]);
        let text = format!("{HEADER}\n FR , \"552100554\" , \"Acme\" ,active,,");
        let records = parse_registry_csv(&text).unwrap();
        assert_eq!(records[0].number, "552100554");
        assert_eq!(records[0].name, "Acme");
    }
}
