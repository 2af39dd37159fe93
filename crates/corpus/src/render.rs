//! Draws specimen documents: a patterned background, a portrait, the visual zone and the MRZ set
//! in OCR-B at the ICAO pitch (10 characters per inch).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};

use crate::identity::{Identity, Kind};
use crate::rng::Rng;

/// Rendering resolution of the pristine document.
pub const PX_PER_MM: f32 = 10.0;
const MRZ_PITCH_MM: f32 = 2.54;
const MRZ_CAP_MM: f32 = 2.35;
const MRZ_LINE_MM: f32 = 4.3;

pub struct Painter {
    font: FontRef<'static>,
    /// Cap height of the font per pixel of scale.
    cap_ratio: f32,
}

impl Default for Painter {
    fn default() -> Self {
        Painter::new()
    }
}

impl Painter {
    pub fn new() -> Painter {
        let font = FontRef::try_from_slice(verity_reader::OCR_B).expect("bundled OCR-B parses");
        let glyph = font.glyph_id('H').with_scale_and_position(100.0, point(0.0, 0.0));
        let cap = font.outline_glyph(glyph).map_or(70.0, |g| g.px_bounds().height());
        Painter {
            font,
            cap_ratio: cap / 100.0,
        }
    }

    /// Draws `text` with its baseline at `y`, starting at `x`; with `pitch`, one character per cell.
    // Public drawing primitive (also used by crates/http): every argument is an independent knob.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &self,
        image: &mut RgbImage,
        text: &str,
        x: f32,
        y: f32,
        cap_px: f32,
        ink: [u8; 3],
        pitch: Option<f32>,
    ) {
        let scale = PxScale::from(cap_px / self.cap_ratio);
        let scaled = self.font.as_scaled(scale);
        let mut pen = x;
        for c in text.chars() {
            let id = self.font.glyph_id(c);
            let advance = scaled.h_advance(id);
            let left = match pitch {
                Some(p) => pen + (p - advance) / 2.0,
                None => pen,
            };
            if let Some(outlined) = self
                .font
                .outline_glyph(id.with_scale_and_position(scale, point(left, y)))
            {
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    let px = bounds.min.x as i32 + gx as i32;
                    let py = bounds.min.y as i32 + gy as i32;
                    if px < 0 || py < 0 || px >= image.width() as i32 || py >= image.height() as i32 {
                        return;
                    }
                    let a = coverage.clamp(0.0, 1.0);
                    let p = image.get_pixel_mut(px as u32, py as u32);
                    for (v, &k) in p.0.iter_mut().zip(&ink) {
                        *v = (*v as f32 * (1.0 - a) + k as f32 * a).round() as u8;
                    }
                });
            }
            pen += pitch.unwrap_or(advance);
        }
    }
}

fn mm(v: f32) -> f32 {
    v * PX_PER_MM
}

/// A pale tinted background with fine guilloche waves.
fn background(width: u32, height: u32, rng: &mut Rng) -> RgbImage {
    let base = [
        rng.range(215.0, 240.0),
        rng.range(220.0, 242.0),
        rng.range(215.0, 240.0),
    ];
    let mut image = RgbImage::from_fn(width, height, |_, _| Rgb([base[0] as u8, base[1] as u8, base[2] as u8]));
    let wave = [base[0] - 35.0, base[1] - 25.0, base[2] - 15.0];
    let period = rng.range(30.0, 60.0);
    let amplitude = rng.range(4.0, 10.0);
    // 6.28 is the generator's chosen bound, not τ: TAU would change every seeded corpus.
    #[allow(clippy::approx_constant)]
    let phase = rng.range(0.0, 6.28);
    let mut y0 = 0.0;
    while y0 < height as f32 {
        for x in 0..width {
            let y = y0 + amplitude * ((x as f32 / period) + phase + y0 / 50.0).sin();
            if y >= 0.0 && (y as u32) < height {
                let p = image.get_pixel_mut(x, y as u32);
                for (v, &w) in p.0.iter_mut().zip(&wave) {
                    *v = (*v as f32 * 0.7 + w * 0.3) as u8;
                }
            }
        }
        y0 += rng.range(9.0, 14.0);
    }
    image
}

/// A stylised head-and-shoulders portrait (or a supplied photo) in the photo box.
fn portrait(image: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, rng: &mut Rng, photo: Option<&RgbImage>) {
    if let Some(photo) = photo {
        let resized = image::imageops::resize(photo, w, h, image::imageops::FilterType::Triangle);
        image::imageops::overlay(image, &resized, x as i64, y as i64);
        return;
    }
    let skin = [rng.range(150.0, 235.0), rng.range(110.0, 200.0), rng.range(90.0, 170.0)];
    let hair = rng.range(20.0, 120.0);
    for py in 0..h {
        for px in 0..w {
            let (fx, fy) = (px as f32 / w as f32 - 0.5, py as f32 / h as f32);
            let head = (fx / 0.27).powi(2) + ((fy - 0.42) / 0.3).powi(2) < 1.0;
            let hair_cap = (fx / 0.3).powi(2) + ((fy - 0.36) / 0.3).powi(2) < 1.0 && fy < 0.35;
            let shoulders = fy > 0.75 && (fx / 0.5).powi(2) + ((fy - 1.05) / 0.35).powi(2) < 1.0;
            let colour = if hair_cap {
                [hair, hair * 0.8, hair * 0.6]
            } else if head {
                skin
            } else if shoulders {
                [60.0, 70.0, 90.0]
            } else {
                [205.0, 215.0, 225.0]
            };
            image.put_pixel(x + px, y + py, Rgb([colour[0] as u8, colour[1] as u8, colour[2] as u8]));
        }
    }
}

/// The document's pages: the MRZ side first; an identity card also has its front.
pub struct Pages {
    pub mrz_side: RgbImage,
    pub front: Option<RgbImage>,
}

pub fn render(
    painter: &Painter,
    kind: Kind,
    identity: &Identity,
    mrz: &[String],
    rng: &mut Rng,
    photo: Option<&RgbImage>,
) -> Pages {
    let (w_mm, h_mm) = match kind {
        Kind::Passport | Kind::Visa => (125.0, 88.0),
        Kind::Td2Card => (105.0, 74.0),
        Kind::IdCard => (85.6, 54.0),
    };
    let (w, h) = (mm(w_mm) as u32, mm(h_mm) as u32);
    let dark = [20, 22, 30];
    let label = [90, 90, 110];
    let visual = |image: &mut RgbImage, rng: &mut Rng, top_mm: f32| {
        let title = match kind {
            Kind::Passport => "PASSPORT / PASSEPORT",
            Kind::Visa => "VISA",
            _ => "IDENTITY CARD / CARTE D'IDENTITE",
        };
        painter.text(image, title, mm(8.0), mm(top_mm), mm(2.6), [30, 50, 110], None);
        let (px, pw, ph) = (mm(5.0) as u32, mm(26.0) as u32, mm(33.0) as u32);
        portrait(image, px, mm(top_mm + 4.0) as u32, pw, ph, rng, photo);
        let fields = [
            ("Surname / Nom", identity.surname.clone()),
            ("Given names / Prenoms", identity.given_names.clone()),
            ("Nationality", identity.nationality.clone()),
            ("Date of birth", identity.birth.printed()),
            ("Sex", identity.sex.to_string()),
            ("Document no.", identity.document_number.clone()),
            ("Date of expiry", identity.expiry.printed()),
        ];
        let mut y = top_mm + 6.5;
        for (name, value) in fields {
            painter.text(image, name, mm(34.0), mm(y), mm(1.3), label, None);
            painter.text(image, &value, mm(34.0), mm(y + 3.0), mm(2.0), dark, None);
            y += 5.2;
            if mm(y) > h as f32 - mm(16.0) {
                break;
            }
        }
    };
    let mut mrz_side = background(w, h, rng);
    if kind != Kind::IdCard {
        visual(&mut mrz_side, rng, 7.0);
    } else {
        painter.text(
            &mut mrz_side,
            "Issued by the Republic of Utopia",
            mm(6.0),
            mm(8.0),
            mm(2.0),
            label,
            None,
        );
    }
    // A quiet band for the MRZ, as on real documents.
    let lines = mrz.len() as f32;
    let band_top = h as f32 - mm(MRZ_LINE_MM * lines + 3.0);
    for y in band_top.max(0.0) as u32..h {
        for x in 0..w {
            let p = mrz_side.get_pixel_mut(x, y);
            for c in 0..3 {
                p.0[c] = (p.0[c] as f32 * 0.4 + 245.0 * 0.6) as u8;
            }
        }
    }
    let cells = mrz[0].len() as f32;
    let left = (w as f32 - mm(MRZ_PITCH_MM) * cells) / 2.0;
    for (i, line) in mrz.iter().enumerate() {
        let baseline = h as f32 - mm(2.2 + MRZ_LINE_MM * (lines - 1.0 - i as f32));
        painter.text(
            &mut mrz_side,
            line,
            left,
            baseline,
            mm(MRZ_CAP_MM),
            [15, 15, 20],
            Some(mm(MRZ_PITCH_MM)),
        );
    }
    let front = (kind == Kind::IdCard).then(|| {
        let mut front = background(w, h, rng);
        visual(&mut front, rng, 6.0);
        front
    });
    Pages { mrz_side, front }
}
