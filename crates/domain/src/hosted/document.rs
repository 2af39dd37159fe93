//! The identity documents the flow asks for, and the one table of the states whose cards the
//! engine accepts (the pages offer exactly that).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentType {
    Passport,
    IdentityCard,
    DrivingLicence,
    ResidencePermit,
}

impl DocumentType {
    pub const ALL: [DocumentType; 4] = [
        DocumentType::Passport,
        DocumentType::IdentityCard,
        DocumentType::DrivingLicence,
        DocumentType::ResidencePermit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Passport => "PASSPORT",
            DocumentType::IdentityCard => "IDENTITY_CARD",
            DocumentType::DrivingLicence => "DRIVING_LICENCE",
            DocumentType::ResidencePermit => "RESIDENCE_PERMIT",
        }
    }

    pub fn parse(raw: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|d| d.as_str() == raw)
    }

    /// Passports have one photo page; cards have a back.
    pub fn two_sided(self) -> bool {
        !matches!(self, DocumentType::Passport)
    }
}

/// States whose national identity cards and residence permits the engine accepts (EU, EEA and
/// Switzerland; not Denmark, which issues none with a machine-readable zone), by ISO 3166 alpha-2 code (the hosted pages) and ICAO code (the MRZ; Germany
/// writes `D`). One table for both, so that the pages offer exactly what the engine accepts.
pub const CARD_STATES: &[(&str, &[&str])] = &[
    ("AT", &["AUT"]),
    ("BE", &["BEL"]),
    ("BG", &["BGR"]),
    ("HR", &["HRV"]),
    ("CY", &["CYP"]),
    ("CZ", &["CZE"]),
    ("EE", &["EST"]),
    ("FI", &["FIN"]),
    ("FR", &["FRA"]),
    ("DE", &["D", "DEU"]),
    ("GR", &["GRC"]),
    ("HU", &["HUN"]),
    ("IE", &["IRL"]),
    ("IT", &["ITA"]),
    ("LV", &["LVA"]),
    ("LT", &["LTU"]),
    ("LU", &["LUX"]),
    ("MT", &["MLT"]),
    ("NL", &["NLD"]),
    ("PL", &["POL"]),
    ("PT", &["PRT"]),
    ("RO", &["ROU"]),
    ("SK", &["SVK"]),
    ("SI", &["SVN"]),
    ("ES", &["ESP"]),
    ("SE", &["SWE"]),
    ("IS", &["ISL"]),
    ("LI", &["LIE"]),
    ("NO", &["NOR"]),
    ("CH", &["CHE"]),
];

impl DocumentType {
    /// Whether the engine can verify this document issued by `country` (ISO alpha-2): passports
    /// of every state, identity cards and residence permits of `CARD_STATES`, driving licences
    /// never (they carry no machine-readable zone).
    pub fn accepted_from(self, country: &str) -> bool {
        match self {
            DocumentType::Passport => true,
            DocumentType::IdentityCard | DocumentType::ResidencePermit => CARD_STATES
                .iter()
                .any(|(alpha2, _)| alpha2.eq_ignore_ascii_case(country)),
            DocumentType::DrivingLicence => false,
        }
    }

    /// The issuing countries (ISO alpha-2) of the type, `None` for every country.
    pub fn countries(self) -> Option<Vec<&'static str>> {
        match self {
            DocumentType::IdentityCard | DocumentType::ResidencePermit => {
                Some(CARD_STATES.iter().map(|(alpha2, _)| *alpha2).collect())
            }
            _ => None,
        }
    }
}

/// Whether a card issued by the ICAO state `code` (as written in its MRZ) is accepted.
pub fn card_state_accepted(code: &str) -> bool {
    CARD_STATES.iter().any(|(_, icao)| icao.contains(&code))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentChoice {
    pub kind: DocumentType,
    pub country: String,
}
