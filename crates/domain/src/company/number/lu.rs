//! Company-number rules of Luxembourg: RCS number, VAT number.

use super::{CompanyNumberError, check, format_error, is_digits, value};

const LU_EXPECTED: &str = "an RCS number (a section letter such as B and up to 6 digits, e.g. B123456) or a Luxembourg VAT number (LU and 8 digits)";

/// Sections of the Registre de commerce et des sociétés.
const RCS_SECTIONS: &str = "ABCDEFGHJK";

pub(super) fn luxembourg(n: &str) -> Result<String, CompanyNumberError> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};
    use super::*;

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
}
