//! Company-number rules of France: SIREN, SIRET, VAT number.

use super::{CompanyNumberError, check, digits, format_error, is_digits, luhn_valid, value};

const FR_EXPECTED: &str =
    "a SIREN (9 digits), a SIRET (14 digits) or a French VAT number (FR, a two-digit key and the SIREN)";

/// The SIREN of La Poste, whose establishments' SIRETs use a digit sum instead of Luhn.
const LA_POSTE: &str = "356000000";

pub(super) fn france(n: &str) -> Result<String, CompanyNumberError> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};
    use super::*;

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
}
