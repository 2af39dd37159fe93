//! Company-number rules of Netherlands: KvK number, RSIN.

use super::{CompanyNumberError, check, digits, format_error, is_digits};

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

pub(super) fn netherlands(n: &str) -> Result<String, CompanyNumberError> {
    if !is_digits(n) {
        return Err(format_error(NL_EXPECTED));
    }
    match n.len() {
        8 => Ok(n.to_owned()),
        9 => check(eleven_proof(n), n.to_owned()),
        _ => Err(format_error(NL_EXPECTED)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};
    use super::*;

    #[test]
    fn netherlands() {
        assert_eq!(ok("NL", "3301 4286"), "33014286");
        assert_eq!(ok("NL", "001671248"), "001671248");
        assert_eq!(ok("NL", "123456782"), "123456782");
        assert_eq!(err("NL", "123456783"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("NL", "1234567")));
        assert!(is_format(err("NL", "NL123456782")));
    }
}
