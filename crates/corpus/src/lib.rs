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

/// The bundled portrait (public domain; see assets/PORTRAIT-LICENSE.txt), for specimen photos
/// and selfies that a face detector recognises.
pub fn portrait() -> RgbImage {
    image::load_from_memory(include_bytes!("../assets/portrait.png"))
        .expect("the bundled portrait decodes")
        .to_rgb8()
}

/// A selfie-like JPEG of the bundled portrait: the face large in the frame, on a plain wall,
/// with a little noise; `seed` varies the framing, size, side and wall, as separate takes do.
pub fn selfie(seed: u64) -> Vec<u8> {
    selfie_of(&portrait(), seed)
}

/// [`selfie`] of another head-and-shoulders photo (its proportions kept).
pub fn selfie_of(photo: &RgbImage, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed ^ 0x5E1F);
    let (w, h) = (600u32, 800u32);
    let wall = [
        rng.range(60.0, 230.0) as u8,
        rng.range(60.0, 230.0) as u8,
        rng.range(60.0, 230.0) as u8,
    ];
    let mut canvas = RgbImage::from_pixel(w, h, image::Rgb(wall));
    let scale = rng.range(0.7, 1.1);
    let fw = (400.0 * scale) as u32;
    let fh = ((fw as f64 * photo.height() as f64 / photo.width().max(1) as f64) as u32).clamp(1, h - 60);
    let mut face = image::imageops::resize(photo, fw, fh, image::imageops::FilterType::Triangle);
    if rng.chance(0.5) {
        face = image::imageops::flip_horizontal(&face);
    }
    let x = rng.below((w - fw) as usize + 1) as i64;
    let y = 60 + rng.below((h - fh - 60).max(1) as usize) as i64;
    image::imageops::overlay(&mut canvas, &face, x, y);
    for p in canvas.pixels_mut() {
        let n = rng.normal() * 3.0;
        for c in 0..3 {
            p.0[c] = (p.0[c] as f32 + n).clamp(0.0, 255.0) as u8;
        }
    }
    photo::jpeg(&canvas, 88)
}
