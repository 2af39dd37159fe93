//! Company-number rules of United Kingdom: Companies House.

use super::{CompanyNumberError, format_error, is_digits};

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

pub(super) fn great_britain(n: &str) -> Result<String, CompanyNumberError> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{err, is_format, ok};

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
}
