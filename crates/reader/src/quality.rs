//! Image quality measures and the findings they lead to.

use serde::Serialize;

use crate::gray::Gray;

pub const LOW_RESOLUTION: &str = "LOW_RESOLUTION";
pub const BLURRY: &str = "BLURRY";
pub const GLARE: &str = "GLARE";
pub const TOO_DARK: &str = "TOO_DARK";

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Quality {
    pub width: usize,
    pub height: usize,
    /// Mean luminance, 0 to 255.
    pub brightness: f32,
    /// Share of saturated pixels.
    pub glare: f32,
    /// Mean absolute Laplacian over edge pixels of the working image (higher is sharper).
    pub sharpness: f32,
    /// Cap height of the MRZ characters in image pixels, when an MRZ was found.
    pub mrz_cap_height: Option<f32>,
    /// Share of the MRZ's inked samples that are mid-tones (higher is blurrier).
    pub mrz_blur: Option<f32>,
    pub findings: Vec<&'static str>,
}

/// Measures the working image; the MRZ measures are added by the reader when it found one.
pub fn measure(original: &Gray, work: &Gray) -> Quality {
    let saturated = work.pixels.iter().filter(|&&p| p >= 250).count();
    let (mut edge_sum, mut edges) = (0f64, 0usize);
    for y in 1..work.height.saturating_sub(1) {
        for x in 1..work.width.saturating_sub(1) {
            let c = work.at(x, y) as i32;
            let lap = 4 * c
                - work.at(x - 1, y) as i32
                - work.at(x + 1, y) as i32
                - work.at(x, y - 1) as i32
                - work.at(x, y + 1) as i32;
            if lap.abs() > 20 {
                edge_sum += lap.abs() as f64;
                edges += 1;
            }
        }
    }
    Quality {
        width: original.width,
        height: original.height,
        brightness: work.mean(),
        glare: saturated as f32 / work.pixels.len().max(1) as f32,
        sharpness: if edges > 0 {
            (edge_sum / edges as f64) as f32
        } else {
            0.0
        },
        mrz_cap_height: None,
        mrz_blur: None,
        findings: Vec::new(),
    }
}

impl Quality {
    /// The findings a reviewer (and the document check) acts on.
    pub fn assess(&mut self) {
        let mut findings = Vec::new();
        if self.width.min(self.height) < 400 || self.mrz_cap_height.is_some_and(|h| h < 8.0) {
            findings.push(LOW_RESOLUTION);
        }
        if self.mrz_blur.is_some_and(|b| b > 0.8) || (self.mrz_blur.is_none() && self.sharpness < 30.0) {
            findings.push(BLURRY);
        }
        if self.glare > 0.05 {
            findings.push(GLARE);
        }
        if self.brightness < 45.0 {
            findings.push(TOO_DARK);
        }
        self.findings = findings;
    }
}
