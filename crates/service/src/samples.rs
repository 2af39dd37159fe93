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
