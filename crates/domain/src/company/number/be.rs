//! Company-number rules of Belgium: enterprise number (BCE/KBO), which is also the VAT number.

use super::{CompanyNumberError, check, format_error, is_digits, value};

const BE_EXPECTED: &str =
    "an enterprise number (10 digits starting with 0 or 1, e.g. 0403.170.701, optionally after BE)";

pub(super) fn belgium(n: &str) -> Result<String, CompanyNumberError> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};
    use super::*;

    #[test]
    fn belgium() {
        assert_eq!(ok("BE", "0403.170.701"), "0403170701");
        assert_eq!(ok("BE", "403170701"), "0403170701");
        assert_eq!(ok("be", "BE 0403 170 701"), "0403170701");
        assert_eq!(err("BE", "0403.170.702"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("BE", "2403170701")));
        assert!(is_format(err("BE", "04031707")));
    }
}
