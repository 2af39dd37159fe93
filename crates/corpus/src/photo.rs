//! Makes a pristine document look photographed: placed on a table under a perspective, rotated,
//! unevenly lit, sometimes with a glare spot, blurred, noisy, at a lower resolution and saved as
//! a JPEG. Each degradation level draws its parameters from fixed ranges.

use image::{Rgb, RgbImage};
use serde::Serialize;

use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Level {
    /// A flat scan at 10 px/mm.
    Clean,
    /// A careful phone photo.
    Light,
    /// An ordinary phone photo: tilted, skewed, softer, noisier, sometimes upside down or sideways.
    Medium,
    /// A poor photo: any rotation, strong perspective, blur, noise, low resolution, heavy JPEG.
    Hard,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Clean, Level::Light, Level::Medium, Level::Hard];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Clean => "clean",
            Level::Light => "light",
            Level::Medium => "medium",
            Level::Hard => "hard",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// The parameters one photo was taken with.
#[derive(Clone, Debug, Serialize)]
pub struct Shot {
    pub px_per_mm: f32,
    pub rotation_deg: f32,
    pub perspective: f32,
    pub blur: f32,
    pub noise: f32,
    pub light_falloff: f32,
    pub glare: bool,
    pub jpeg_quality: u8,
}

impl Shot {
    pub fn draw(level: Level, rng: &mut Rng) -> Shot {
        let quarter_turns = |rng: &mut Rng, p: f32| {
            if rng.chance(p) {
                90.0 * (1 + rng.below(3)) as f32
            } else {
                0.0
            }
        };
        match level {
            Level::Clean => Shot {
                px_per_mm: 10.0,
                rotation_deg: 0.0,
                perspective: 0.0,
                blur: 0.0,
                noise: 0.0,
                light_falloff: 0.0,
                glare: false,
                jpeg_quality: 92,
            },
            Level::Light => Shot {
                px_per_mm: rng.range(7.0, 11.0),
                rotation_deg: rng.range(-4.0, 4.0),
                perspective: rng.range(0.0, 0.02),
                blur: rng.range(0.0, 0.7),
                noise: rng.range(1.0, 4.0),
                light_falloff: rng.range(0.0, 0.15),
                glare: false,
                jpeg_quality: 85,
            },
            Level::Medium => Shot {
                px_per_mm: rng.range(5.5, 9.0),
                rotation_deg: rng.range(-10.0, 10.0) + quarter_turns(rng, 0.3),
                perspective: rng.range(0.0, 0.045),
                blur: rng.range(0.4, 1.2),
                noise: rng.range(3.0, 8.0),
                light_falloff: rng.range(0.1, 0.35),
                glare: rng.chance(0.3),
                jpeg_quality: 60 + rng.below(21) as u8,
            },
            Level::Hard => Shot {
                px_per_mm: rng.range(4.2, 6.5),
                rotation_deg: rng.range(0.0, 360.0),
                perspective: rng.range(0.02, 0.07),
                blur: rng.range(0.9, 1.8),
                noise: rng.range(7.0, 13.0),
                light_falloff: rng.range(0.25, 0.5),
                glare: rng.chance(0.5),
                jpeg_quality: 35 + rng.below(26) as u8,
            },
        }
    }
}

/// The homography taking `from` corners to `to` corners (8x8 linear system).
fn homography(from: &[(f32, f32); 4], to: &[(f32, f32); 4]) -> [f64; 9] {
    let mut m = [[0f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = (from[i].0 as f64, from[i].1 as f64);
        let (u, v) = (to[i].0 as f64, to[i].1 as f64);
        m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap_or(col);
        m.swap(col, pivot);
        for r in 0..8 {
            if r != col && m[col][col] != 0.0 {
                let f = m[r][col] / m[col][col];
                // Row `col` is read while row `r` is written: the index form is the clear one.
                #[allow(clippy::needless_range_loop)]
                for c in col..9 {
                    m[r][c] -= f * m[col][c];
                }
            }
        }
    }
    let mut h = [0f64; 9];
    for i in 0..8 {
        h[i] = m[i][8] / m[i][i];
    }
    h[8] = 1.0;
    h
}

fn bilinear(image: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (image.width() as i32, image.height() as i32);
    let x0 = x.floor() as i32;
    let y0 = y.floor() as i32;
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let px = |xx: i32, yy: i32| image.get_pixel(xx.clamp(0, w - 1) as u32, yy.clamp(0, h - 1) as u32).0;
    let (a, b, c, d) = (px(x0, y0), px(x0 + 1, y0), px(x0, y0 + 1), px(x0 + 1, y0 + 1));
    let mut out = [0f32; 3];
    for ch in 0..3 {
        let top = a[ch] as f32 + (b[ch] as f32 - a[ch] as f32) * fx;
        let bottom = c[ch] as f32 + (d[ch] as f32 - c[ch] as f32) * fx;
        out[ch] = top + (bottom - top) * fy;
    }
    out
}

fn blur(image: &RgbImage, sigma: f32) -> RgbImage {
    if sigma < 0.3 {
        return image.clone();
    }
    let radius = (sigma * 2.5).ceil() as i32;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    let (w, h) = (image.width() as i32, image.height() as i32);
    let pass = |src: &RgbImage, horizontal: bool| {
        RgbImage::from_fn(w as u32, h as u32, |x, y| {
            let mut acc = [0f32; 3];
            for (k, weight) in kernel.iter().enumerate() {
                let o = k as i32 - radius;
                let (sx, sy) = if horizontal {
                    (x as i32 + o, y as i32)
                } else {
                    (x as i32, y as i32 + o)
                };
                let p = src.get_pixel(sx.clamp(0, w - 1) as u32, sy.clamp(0, h - 1) as u32).0;
                for c in 0..3 {
                    acc[c] += weight * p[c] as f32;
                }
            }
            Rgb([(acc[0] / total) as u8, (acc[1] / total) as u8, (acc[2] / total) as u8])
        })
    };
    pass(&pass(image, true), false)
}

/// Photographs `document` (rendered at `px_per_mm_source`) as `shot` describes; returns the JPEG.
pub fn photograph(document: &RgbImage, px_per_mm_source: f32, shot: &Shot, rng: &mut Rng) -> Vec<u8> {
    let scale = shot.px_per_mm / px_per_mm_source;
    // Soften before shrinking, as a lens and sensor would, so shrinking does not alias.
    let source = if scale < 0.9 {
        blur(document, 0.45 / scale)
    } else {
        document.clone()
    };
    let (dw, dh) = (document.width() as f32, document.height() as f32);
    let (sw, sh) = (dw * scale, dh * scale);
    let margin = 0.12 * sw.max(sh);
    let angle = shot.rotation_deg.to_radians();
    let (cos, sin) = (angle.cos(), angle.sin());
    let half = (sw / 2.0, sh / 2.0);
    let corners = [
        (-half.0, -half.1),
        (half.0, -half.1),
        (half.0, half.1),
        (-half.0, half.1),
    ];
    let rotated: Vec<(f32, f32)> = corners
        .iter()
        .map(|&(x, y)| {
            let jx = rng.range(-1.0, 1.0) * shot.perspective * sw;
            let jy = rng.range(-1.0, 1.0) * shot.perspective * sh;
            (x * cos - y * sin + jx, x * sin + y * cos + jy)
        })
        .collect();
    let min_x = rotated.iter().map(|p| p.0).fold(f32::MAX, f32::min);
    let max_x = rotated.iter().map(|p| p.0).fold(f32::MIN, f32::max);
    let min_y = rotated.iter().map(|p| p.1).fold(f32::MAX, f32::min);
    let max_y = rotated.iter().map(|p| p.1).fold(f32::MIN, f32::max);
    let (cw, ch) = (
        (max_x - min_x + 2.0 * margin) as u32,
        (max_y - min_y + 2.0 * margin) as u32,
    );
    let placed: [(f32, f32); 4] =
        std::array::from_fn(|i| (rotated[i].0 - min_x + margin, rotated[i].1 - min_y + margin));
    let doc_corners = [(0.0, 0.0), (dw, 0.0), (dw, dh), (0.0, dh)];
    // Canvas -> document, for inverse mapping.
    let hm = homography(&placed, &doc_corners);
    let table = [rng.range(40.0, 160.0), rng.range(40.0, 140.0), rng.range(30.0, 120.0)];
    // 6.28 is the generator's chosen bound, not τ: TAU would change every seeded corpus.
    #[allow(clippy::approx_constant)]
    let light_dir = rng.range(0.0, 6.28);
    let glare_at = (rng.range(0.2, 0.8) * cw as f32, rng.range(0.15, 0.6) * ch as f32);
    let glare_radius = rng.range(0.06, 0.14) * cw.max(ch) as f32;
    let mut canvas = RgbImage::new(cw, ch);
    for y in 0..ch {
        for x in 0..cw {
            let (fx, fy) = (x as f64, y as f64);
            let den = hm[6] * fx + hm[7] * fy + hm[8];
            let u = ((hm[0] * fx + hm[1] * fy + hm[2]) / den) as f32;
            let v = ((hm[3] * fx + hm[4] * fy + hm[5]) / den) as f32;
            let mut colour = if u >= 0.0 && v >= 0.0 && u < dw - 1.0 && v < dh - 1.0 {
                bilinear(&source, u, v)
            } else {
                table
            };
            // Light falls off across the picture in one direction.
            let along =
                ((x as f32 / cw as f32 - 0.5) * light_dir.cos() + (y as f32 / ch as f32 - 0.5) * light_dir.sin()) + 0.5;
            let light = 1.0 - shot.light_falloff * along.clamp(0.0, 1.0);
            for c in colour.iter_mut() {
                *c *= light;
            }
            if shot.glare {
                let d2 = (x as f32 - glare_at.0).powi(2) + (y as f32 - glare_at.1).powi(2);
                let g = (-d2 / (2.0 * glare_radius * glare_radius)).exp();
                for c in colour.iter_mut() {
                    *c += (255.0 - *c) * 0.9 * g;
                }
            }
            canvas.put_pixel(x, y, Rgb([colour[0] as u8, colour[1] as u8, colour[2] as u8]));
        }
    }
    let mut canvas = blur(&canvas, shot.blur);
    if shot.noise > 0.0 {
        for p in canvas.pixels_mut() {
            let n = rng.normal() * shot.noise;
            for c in 0..3 {
                p.0[c] = (p.0[c] as f32 + n + rng.normal() * shot.noise * 0.3).clamp(0.0, 255.0) as u8;
            }
        }
    }
    jpeg(&canvas, shot.jpeg_quality)
}

pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image
        .write_with_encoder(encoder)
        .expect("encoding to memory does not fail");
    out
}
