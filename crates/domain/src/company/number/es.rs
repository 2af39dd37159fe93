//! Company-number rules of Spain: CIF, NIF (DNI), NIE.

use super::{CompanyNumberError, check, digits, format_error, is_digits, value};

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

pub(super) fn spain(n: &str) -> Result<String, CompanyNumberError> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};
    use super::*;

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
}
