//! Sample documents for sandbox sessions, so a developer can click through the flow without a
//! real identity document: a specimen identity card of ICAO's fictional state Utopia from the
//! synthetic corpus (portrait, visual zone and a machine-readable zone that Verity's reader reads),
//! marked SPECIMEN, and a selfie of the same portrait.

use std::sync::OnceLock;

use verity_corpus::{Date, Flaw, Identity, Kind, Painter, Rng, Specimen, photo};

struct Samples {
    front: Vec<u8>,
    back: Vec<u8>,
    selfie: Vec<u8>,
}

fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let painter = Painter::new();
        let portrait = verity_corpus::portrait();
        let identity = Identity {
            surname: "SPECIMEN".into(),
            given_names: "SAMPLE".into(),
            nationality: "UTO".into(),
            issuing_state: "UTO".into(),
            sex: 'F',
            birth: Date {
                year: 1990,
                month: 8,
                day: 12,
            },
            expiry: Date {
                year: 2034,
                month: 8,
                day: 11,
            },
            document_number: "L898902C3".into(),
            optional_data: String::new(),
        };
        let mut rng = Rng::new(20_261_125);
        let mut specimen =
            Specimen::with_identity(&painter, &mut rng, Kind::IdCard, identity, Flaw::None, Some(&portrait));
        let mark = |image: &mut image::RgbImage| {
            let (w, h) = (image.width() as f32, image.height() as f32);
            painter.text(image, "SPECIMEN", w * 0.42, h * 0.2, h * 0.07, [200, 30, 30], None);
        };
        let front = specimen.pages.front.as_mut().expect("identity cards have a front");
        mark(front);
        mark(&mut specimen.pages.mrz_side);
        Samples {
            front: photo::jpeg(specimen.pages.front.as_ref().expect("front"), 90),
            back: photo::jpeg(&specimen.pages.mrz_side, 90),
            selfie: verity_corpus::selfie(1),
        }
    })
}

/// The specimen card: `side` 0 is the front (portrait and visual zone), 1 the back (MRZ).
pub fn document(side: u8) -> Vec<u8> {
    if side == 0 {
        samples().front.clone()
    } else {
        samples().back.clone()
    }
}

/// A selfie of the specimen's portrait.
pub fn selfie() -> Vec<u8> {
    samples().selfie.clone()
}

/// A passport the production engine validates for a user with these names and birth date (its
/// holder is the bundled real portrait, as in [`selfie`]): issued by `state` (ICAO code, e.g.
/// GBR), valid for years, photographed as a phone would. Returns the JPEG photo.
pub fn passport_for(
    surname: &str,
    given_names: &str,
    birth: (i32, u32, u32),
    state: &str,
    today: (i32, u32, u32),
) -> Vec<u8> {
    let today = Date {
        year: today.0,
        month: today.1,
        day: today.2,
    };
    let mut rng = Rng::new(birth.0 as u64 * 10_000 + birth.1 as u64 * 100 + birth.2 as u64);
    let mut identity = Identity::random(&mut rng, today);
    identity.surname = surname.to_uppercase();
    identity.given_names = given_names.to_uppercase();
    identity.birth = Date {
        year: birth.0,
        month: birth.1,
        day: birth.2,
    };
    identity.nationality = state.to_uppercase();
    identity.issuing_state = state.to_uppercase();
    let portrait = verity_corpus::portrait();
    let specimen = Specimen::with_identity(
        &Painter::new(),
        &mut rng,
        Kind::Passport,
        identity,
        Flaw::None,
        Some(&portrait),
    );
    specimen.photograph(verity_corpus::Level::Light, 7).0
}
