//! Generated specimen documents: identities, and the photos a person would take of them.

use verity_corpus::{Date, Flaw, Identity, Kind, Level, Painter, Rng, Specimen};

use super::TODAY;

pub fn identity(seed: u64, surname: &str, given: &str, birth: Date, state: &str) -> Identity {
    let mut rng = Rng::new(seed);
    let mut id = Identity::random(&mut rng, TODAY);
    id.surname = surname.into();
    id.given_names = given.into();
    id.birth = birth;
    id.nationality = state.into();
    id.issuing_state = state.into();
    id
}

/// The photos a person would take of this document: the MRZ side, and a card's front.
pub fn photos(kind: Kind, identity: Identity, flaw: Flaw, seed: u64) -> Vec<(&'static str, Vec<u8>)> {
    let painter = Painter::new();
    let portrait = verity_corpus::portrait();
    let mut rng = Rng::new(seed);
    let mut identity = identity;
    if flaw == Flaw::Expired {
        identity.expiry = Date {
            year: TODAY.year - 1,
            ..identity.expiry
        };
    }
    let specimen = Specimen::with_identity(&painter, &mut rng, kind, identity, flaw, Some(&portrait));
    let (mrz_side, _) = specimen.photograph(Level::Light, seed);
    match &specimen.pages.front {
        Some(front) => {
            let shot = verity_corpus::Shot::draw(Level::Light, &mut Rng::new(seed + 7));
            let front = verity_corpus::photo::photograph(front, verity_corpus::render::PX_PER_MM, &shot, &mut rng);
            vec![("front", front), ("back", mrz_side)]
        }
        None => vec![("front", mrz_side)],
    }
}

/// A British passport of Alex Smith, born 1975-12-21, carrying the bundled real portrait (whose
/// person `verity_corpus::selfie` shows), photographed as a phone would.
pub fn alex_passport() -> Vec<(&'static str, Vec<u8>)> {
    photos(
        Kind::Passport,
        identity(
            40,
            "SMITH",
            "ALEX",
            Date {
                year: 1975,
                month: 12,
                day: 21,
            },
            "GBR",
        ),
        Flaw::None,
        40,
    )
}

/// The holder of [`alex_passport`], as declared to the hosted flow.
pub const ALEX: super::Person<'static> = super::Person {
    first: "Alex",
    last: "Smith",
    birth: "1975-12-21",
};
