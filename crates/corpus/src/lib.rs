//! Synthetic specimen documents for tests, the sandbox's sample documents and the MRZ reader
//! benchmark: random identities, passports, identity cards and visas with their MRZ set in OCR-B,
//! and photographed-looking variants at four degradation levels. Everything is deterministic in
//! its seed.

pub mod identity;
pub mod photo;
pub mod render;
pub mod rng;

use image::RgbImage;
use serde::Serialize;

pub use identity::{Date, Identity, Kind};
pub use photo::{Level, Shot};
pub use render::Painter;
pub use rng::Rng;

/// How a specimen departs from a genuine, valid document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Flaw {
    #[default]
    None,
    /// Expired a year before `today`.
    Expired,
    /// The birth date in the MRZ was changed after the check digits were computed.
    TamperedBirthDate,
    /// The holder is 16 on `today`.
    Minor,
}

/// One generated document: who it is for, its MRZ, and its pristine pages.
pub struct Specimen {
    pub kind: Kind,
    pub identity: Identity,
    pub mrz: Vec<String>,
    pub pages: render::Pages,
}

impl Specimen {
    pub fn generate(
        painter: &Painter,
        seed: u64,
        kind: Kind,
        today: Date,
        flaw: Flaw,
        photo: Option<&RgbImage>,
    ) -> Specimen {
        let mut rng = Rng::new(seed);
        let mut identity = Identity::random(&mut rng, today);
        match flaw {
            Flaw::Expired => {
                identity.expiry = Date {
                    year: today.year - 1,
                    ..identity.expiry
                }
            }
            Flaw::Minor => {
                identity.birth = Date {
                    year: today.year - 16,
                    ..identity.birth
                }
            }
            _ => {}
        }
        Specimen::with_identity(painter, &mut rng, kind, identity, flaw, photo)
    }

    pub fn with_identity(
        painter: &Painter,
        rng: &mut Rng,
        kind: Kind,
        identity: Identity,
        flaw: Flaw,
        photo: Option<&RgbImage>,
    ) -> Specimen {
        let mut mrz = identity.mrz(kind);
        if flaw == Flaw::TamperedBirthDate {
            // Change the birth year's last digit, leaving every check digit as printed.
            let (line, at) = if kind == Kind::IdCard { (1, 1) } else { (1, 14) };
            let mut bytes = mrz[line].clone().into_bytes();
            bytes[at] = if bytes[at] == b'9' { b'0' } else { bytes[at] + 1 };
            mrz[line] = String::from_utf8(bytes).expect("ascii");
        }
        let pages = render::render(painter, kind, &identity, &mrz, rng, photo);
        Specimen {
            kind,
            identity,
            mrz,
            pages,
        }
    }

    /// The MRZ side photographed at `level`, as JPEG bytes.
    pub fn photograph(&self, level: Level, seed: u64) -> (Vec<u8>, Shot) {
        let mut rng = Rng::new(seed ^ 0xD0C5);
        let shot = Shot::draw(level, &mut rng);
        (
            photo::photograph(&self.pages.mrz_side, render::PX_PER_MM, &shot, &mut rng),
            shot,
        )
    }
}
