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
