//! Company-number rules of Italy: partita IVA, codice fiscale.

use super::{CompanyNumberError, check, format_error, is_digits, luhn_valid};

const IT_EXPECTED: &str = "a partita IVA (11 digits, optionally after IT), a codice fiscale (16 letters and digits, \
     e.g. RSSMRA85T10A562S) or a REA number (the province's two letters and 6 digits, e.g. MI123456)";

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

pub(super) fn italy(n: &str) -> Result<String, CompanyNumberError> {
    let n = match n.strip_prefix("IT") {
        Some(rest) if rest.len() == 11 => rest,
        _ => n,
    };
    if n.len() == 11 && is_digits(n) {
        return check(luhn_valid(n), n.to_owned());
    }
    let bytes = n.as_bytes();
    // Numero REA: the province's code and the entry's number in its register (no check digit).
    if n.len() == 8 && bytes[..2].iter().all(u8::is_ascii_uppercase) && is_digits(&n[2..]) {
        return Ok(n.to_owned());
    }
    if n.is_ascii() && codice_fiscale_format(bytes) {
        return check(codice_fiscale_check(bytes) == bytes[15], n.to_owned());
    }
    Err(format_error(IT_EXPECTED))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};
    use super::*;

    #[test]
    fn italy() {
        assert_eq!(ok("IT", "00743110157"), "00743110157");
        assert_eq!(ok("it", "IT 12345678903"), "12345678903");
        assert_eq!(err("IT", "00743110158"), CompanyNumberError::CheckDigit);
        assert_eq!(ok("IT", "rssmra85t10a562s"), "RSSMRA85T10A562S");
        assert_eq!(ok("IT", "MI-123456"), "MI123456");
        assert!(is_format(err("IT", "M1123456")));
        assert_eq!(ok("IT", "MRTMTT91D08F205J"), "MRTMTT91D08F205J");
        // Omocodia: the last digit replaced by its letter, with its own check letter.
        assert_eq!(ok("IT", "RSSMRA85T10A56NH"), "RSSMRA85T10A56NH");
        assert_eq!(err("IT", "RSSMRA85T10A562T"), CompanyNumberError::CheckDigit);
        assert!(is_format(err("IT", "RSSMRA85Z10A562S")));
        assert!(is_format(err("IT", "0074311015")));
    }
}
