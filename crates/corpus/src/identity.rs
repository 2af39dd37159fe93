//! Random identities and the MRZ lines that encode them.

use serde::Serialize;
use verity_domain::mrz::check_digit;

use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// TD3 passport data page, 2 lines of 44.
    Passport,
    /// TD1 identity card, 3 lines of 30 on the back.
    IdCard,
    /// TD2 card, 2 lines of 36.
    Td2Card,
    /// MRV-A visa, 2 lines of 44.
    Visa,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Passport, Kind::IdCard, Kind::Td2Card, Kind::Visa];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Passport => "passport",
            Kind::IdCard => "id-card",
            Kind::Td2Card => "td2-card",
            Kind::Visa => "visa",
        }
    }
}

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn yymmdd(&self) -> String {
        format!("{:02}{:02}{:02}", self.year.rem_euclid(100), self.month, self.day)
    }

    /// As printed in the visual zone: `12 MAR 1985`.
    pub fn printed(&self) -> String {
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        format!("{:02} {} {}", self.day, MONTHS[(self.month - 1) as usize], self.year)
    }

    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn random(rng: &mut Rng, from_year: i32, to_year: i32) -> Date {
        Date {
            year: from_year + rng.below((to_year - from_year + 1) as usize) as i32,
            month: 1 + rng.below(12) as u32,
            day: 1 + rng.below(28) as u32,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Identity {
    /// As printed in the visual zone (may carry diacritics).
    pub surname: String,
    pub given_names: String,
    pub nationality: String,
    pub issuing_state: String,
    pub sex: char,
    pub birth: Date,
    pub expiry: Date,
    pub document_number: String,
    pub optional_data: String,
}

const SURNAMES: &[&str] = &[
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "MÜLLER",
    "SCHMIDT",
    "GARCÍA",
    "ROSSI",
    "JANSEN",
    "PEETERS",
    "SMITH",
    "O'NEILL",
    "NOWAK",
    "KOWALSKI",
    "LEFÈVRE",
    "JOHANSSON",
    "FERREIRA",
    "ERIKSSON",
    "VAN DER BERG",
    "DUPONT-MOREAU",
    "SCHNEIDER",
    "FISCHER",
    "WEBER",
    "ESPOSITO",
    "BIANCHI",
    "LÓPEZ",
    "MARTÍNEZ",
    "DE JONG",
    "NIELSEN",
    "HANSEN",
    "KARLSSON",
    "NOVÁK",
    "HORVÁTH",
    "PAPADOPOULOS",
    "MURPHY",
    "WALSH",
    "ØSTERGÅRD",
    "ZIELIŃSKI",
    "KOVAČ",
];
const GIVEN: &[&str] = &[
    "ANNA",
    "MARIE",
    "JEAN",
    "LUCAS",
    "EMMA",
    "NOAH",
    "LÉA",
    "HUGO",
    "SOPHIE",
    "MAXIMILIAN",
    "GIULIA",
    "MATTEO",
    "SOFÍA",
    "PABLO",
    "SANNE",
    "DAAN",
    "OLIVIA",
    "JACK",
    "ZOË",
    "FRANÇOIS",
    "JOSÉ",
    "BJÖRN",
    "INGRID",
    "PIOTR",
    "AGNIESZKA",
    "JOÃO",
    "MARGARIDA",
    "SEÁN",
    "AOIFE",
    "ELENI",
    "DIMITRIS",
    "KATARZYNA",
    "JÜRGEN",
    "ÉLODIE",
];
const STATES: &[&str] = &[
    "UTO", "FRA", "DEU", "ITA", "ESP", "NLD", "BEL", "LUX", "GBR", "IRL", "PRT", "POL", "SWE",
];

/// ICAO 9303 transliteration of the letters the name lists use, then fillers for the rest.
pub fn mrz_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let s: &str = match c {
            'Ä' | 'Æ' => "AE",
            'Ö' | 'Ø' => "OE",
            'Ü' => "UE",
            'Å' => "AA",
            'ß' => "SS",
            'Á' | 'À' | 'Â' | 'Ã' => "A",
            'É' | 'È' | 'Ê' | 'Ë' => "E",
            'Í' | 'Ì' | 'Î' | 'Ï' => "I",
            'Ó' | 'Ò' | 'Ô' | 'Õ' => "O",
            'Ú' | 'Ù' | 'Û' => "U",
            'Ç' => "C",
            'Ñ' => "N",
            'Ń' => "N",
            'Č' => "C",
            'Ł' => "L",
            'A'..='Z' => {
                out.push(c);
                continue;
            }
            _ => "<",
        };
        out.push_str(s);
    }
    out
}

fn pad(s: &str, n: usize) -> String {
    let mut s: String = s.chars().take(n).collect();
    while s.len() < n {
        s.push('<');
    }
    s
}

impl Identity {
    pub fn random(rng: &mut Rng, today: Date) -> Identity {
        let given = if rng.chance(0.3) {
            format!("{} {}", rng.pick(GIVEN), rng.pick(GIVEN))
        } else {
            rng.pick(GIVEN).to_string()
        };
        let alnum = b"0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ";
        let letters = 1 + rng.below(2);
        let number: String = (0..9)
            .map(|i| {
                if i < letters {
                    alnum[10 + rng.below(alnum.len() - 10)] as char
                } else {
                    alnum[rng.below(10)] as char
                }
            })
            .collect();
        let state = rng.pick(STATES).to_string();
        Identity {
            surname: rng.pick(SURNAMES).to_string(),
            given_names: given,
            nationality: state.clone(),
            issuing_state: state,
            sex: if rng.chance(0.5) { 'F' } else { 'M' },
            birth: Date::random(rng, today.year - 80, today.year - 19),
            expiry: Date::random(rng, today.year + 1, today.year + 9),
            document_number: number,
            optional_data: if rng.chance(0.4) {
                (0..9).map(|_| (b'0' + rng.below(10) as u8) as char).collect()
            } else {
                String::new()
            },
        }
    }

    fn name_field(&self, width: usize) -> String {
        pad(
            &format!(
                "{}<<{}",
                mrz_name(&self.surname),
                mrz_name(&self.given_names).replace(' ', "<")
            ),
            width,
        )
    }

    /// The MRZ lines of this identity on a document of `kind`.
    pub fn mrz(&self, kind: Kind) -> Vec<String> {
        let number = pad(&self.document_number, 9);
        let cd = |s: &str| check_digit(s).to_string();
        let birth = self.birth.yymmdd();
        let expiry = self.expiry.yymmdd();
        match kind {
            Kind::Passport | Kind::Visa => {
                let code = if kind == Kind::Passport { "P<" } else { "V<" };
                let l1 = format!("{code}{}{}", self.issuing_state, self.name_field(39));
                let head = format!(
                    "{number}{}{}{birth}{}{}{expiry}{}",
                    cd(&number),
                    self.nationality,
                    cd(&birth),
                    self.sex,
                    cd(&expiry)
                );
                let l2 = if kind == Kind::Passport {
                    let personal = pad(&self.optional_data, 14);
                    let personal_cd = if self.optional_data.is_empty() {
                        "<".to_string()
                    } else {
                        cd(&personal)
                    };
                    let composite_data = format!(
                        "{}{}{}",
                        &head[0..10],
                        &head[13..20],
                        &format!("{}{personal}{personal_cd}", &head[21..28])
                    );
                    format!("{head}{personal}{personal_cd}{}", cd(&composite_data))
                } else {
                    format!("{head}{}", pad(&self.optional_data, 16))
                };
                vec![l1, l2]
            }
            Kind::Td2Card => {
                let l1 = format!("I<{}{}", self.issuing_state, self.name_field(31));
                let head = format!(
                    "{number}{}{}{birth}{}{}{expiry}{}",
                    cd(&number),
                    self.nationality,
                    cd(&birth),
                    self.sex,
                    cd(&expiry)
                );
                let optional = pad(&self.optional_data, 7);
                let composite_data = format!("{}{}{}{optional}", &head[0..10], &head[13..20], &head[21..28]);
                vec![l1.clone(), format!("{head}{optional}{}", cd(&composite_data))]
            }
            Kind::IdCard => {
                let optional1 = pad(&self.optional_data, 15);
                let l1 = format!("I<{}{number}{}{optional1}", self.issuing_state, cd(&number));
                let l2_head = format!(
                    "{birth}{}{}{expiry}{}{}",
                    cd(&birth),
                    self.sex,
                    cd(&expiry),
                    self.nationality
                );
                let optional2 = pad("", 11);
                let composite_data = format!("{}{}{}{optional2}", &l1[5..30], &l2_head[0..7], &l2_head[8..15]);
                let l2 = format!("{l2_head}{optional2}{}", cd(&composite_data));
                vec![l1, l2, self.name_field(30)]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verity_domain::mrz::parse;

    #[test]
    fn generated_zones_parse_and_verify() {
        let mut rng = Rng::new(7);
        let today = Date {
            year: 2026,
            month: 11,
            day: 25,
        };
        for _ in 0..200 {
            let id = Identity::random(&mut rng, today);
            for kind in Kind::ALL {
                let lines = id.mrz(kind);
                let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                let mrz = parse(&refs).unwrap_or_else(|e| panic!("{kind:?} {lines:?}: {e:?}"));
                assert!(mrz.valid(), "{kind:?} {lines:?} {:?}", mrz.check_digits);
                assert_eq!(mrz.document_number, id.document_number);
                assert_eq!(mrz.birth_date, id.birth.yymmdd());
            }
        }
    }
}
