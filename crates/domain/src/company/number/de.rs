//! Company-number rules of Germany: Handelsregister and the other court registers, VAT number.

use super::{CompanyNumberError, check, digits, format_error, is_digits};

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

pub(super) fn germany(n: &str) -> Result<String, CompanyNumberError> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};
    use super::*;

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
}
