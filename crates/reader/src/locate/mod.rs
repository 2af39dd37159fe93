//! Finds machine-readable zones in a photo. Dark components are found with a local (Sauvola)
//! threshold, the dominant text direction is voted by nearest neighbours, components are chained
//! into text lines along it, and stacks of two or three long, parallel, left-aligned lines become
//! MRZ candidates, each with a fitted geometry that gives every character cell's position, pitch
//! and height (perspective makes both vary along a line, so they are fitted, not assumed).

mod direction;
mod fit;
mod ink;
mod lines;
mod stacks;

use crate::gray::Gray;
use direction::dominant_angle;
use ink::{Blob, binarize, components};
use lines::{Glyph, TextLine, chain, join_fragments, project};
use stacks::stacks;

/// The text frame: unit vectors of the text direction in the working image.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub cos: f32,
    pub sin: f32,
    /// Original image coordinates = (working + 0.5) * scale - 0.5.
    pub scale: f32,
}

impl Frame {
    fn flipped(self) -> Frame {
        Frame {
            cos: -self.cos,
            sin: -self.sin,
            scale: self.scale,
        }
    }

    /// From text-frame coordinates to the original image.
    pub fn to_image(self, s: f32, t: f32) -> (f32, f32) {
        let x = s * self.cos - t * self.sin;
        let y = s * self.sin + t * self.cos;
        ((x + 0.5) * self.scale - 0.5, (y + 0.5) * self.scale - 0.5)
    }

    /// The text direction and the downward normal, in the original image.
    pub fn axes(&self) -> ((f32, f32), (f32, f32)) {
        ((self.cos, self.sin), (-self.sin, self.cos))
    }
}

/// One fitted MRZ line: cell `k` is centred at `s(k)`, its top and bottom at `top(s)`, `bottom(s)`.
#[derive(Clone, Debug)]
pub struct LineGeometry {
    pitch_fit: [f32; 3],
    top_fit: [f32; 2],
    bottom_fit: [f32; 2],
}

/// Where one character cell is, in the original image.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    pub x: f32,
    pub y: f32,
    /// Width of the cell (character pitch) and cap height, in original pixels.
    pub pitch: f32,
    pub height: f32,
}

impl LineGeometry {
    pub fn cell(&self, frame: &Frame, k: usize) -> Cell {
        let k = k as f32;
        let [a, b, c] = self.pitch_fit;
        let s = a + b * k + c * k * k;
        let pitch = (b + 2.0 * c * k).abs();
        let top = self.top_fit[0] + self.top_fit[1] * s;
        let bottom = self.bottom_fit[0] + self.bottom_fit[1] * s;
        let (x, y) = frame.to_image(s, (top + bottom) / 2.0);
        Cell {
            x,
            y,
            pitch: pitch * frame.scale,
            height: (bottom - top).abs() * frame.scale,
        }
    }
}

/// A stack of lines that may be an MRZ, with `cells` characters per line.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub frame: Frame,
    pub cells: usize,
    pub lines: Vec<LineGeometry>,
}

/// MRZ candidates in `work` (a reduced copy of the original; `scale` maps back to it).
pub fn candidates(work: &Gray, scale: f32) -> Vec<Candidate> {
    if work.width < 16 || work.height < 16 {
        return Vec::new();
    }
    let ink = binarize(work);
    let (labels, blobs) = components(&ink, work.width, work.height);
    let max_size = work.width.min(work.height) / 6;
    let plausible: Vec<(u32, &Blob)> = blobs
        .iter()
        .enumerate()
        .filter(|(_, b)| b.area >= 6 && b.size() >= 4 && b.size() <= max_size.max(8))
        .map(|(i, b)| (i as u32 + 1, b))
        .collect();
    // Runs of merged fillers are long: leave them out of the direction vote.
    let compact: Vec<&Blob> = plausible
        .iter()
        .map(|(_, b)| *b)
        .filter(|b| {
            let (w, h) = (b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
            w <= 3 * h && h <= 3 * w
        })
        .collect();
    let Some(angle) = dominant_angle(&compact) else {
        return Vec::new();
    };
    let frame = Frame {
        cos: angle.cos(),
        sin: angle.sin(),
        scale,
    };
    let glyphs: Vec<Glyph> = plausible
        .iter()
        .map(|(id, b)| project(b, *id, &labels, work.width, frame.cos, frame.sin))
        .filter(|g| g.height() >= 4.0 && g.width() <= 14.0 * g.height())
        .collect();
    let lines: Vec<TextLine> = chain(&glyphs)
        .into_iter()
        .filter(|c| c.len() >= 4)
        .filter_map(|c| TextLine::new(c.into_iter().map(|i| glyphs[i]).collect()))
        .collect();
    let lines = join_fragments(lines);
    if std::env::var_os("VERITY_READER_DEBUG").is_some() {
        eprintln!("angle {:.1} deg, {} glyphs, lines:", angle.to_degrees(), glyphs.len());
        for l in lines.iter().filter(|l| l.cells() > 15.0) {
            eprintln!(
                "  middle {:.0} start {:.0} cells {:.1} pitch {:.1} height {:.1} glyphs {}",
                l.middle,
                l.start,
                l.cells(),
                l.pitch,
                l.height,
                l.glyphs.len()
            );
        }
    }
    stacks(frame, lines)
}

#[cfg(test)]
mod tests {
    use super::fit::fit;
    use super::*;

    #[test]
    fn fits_a_parabola() {
        let points: Vec<(f32, f32)> = (0..20)
            .map(|k| (k as f32, 3.0 + 2.0 * k as f32 + 0.1 * (k * k) as f32))
            .collect();
        let [a, b, c] = fit(&points, true).unwrap();
        assert!((a - 3.0).abs() < 1e-2 && (b - 2.0).abs() < 1e-2 && (c - 0.1).abs() < 1e-3);
    }

    #[test]
    fn nothing_in_a_blank_image() {
        let blank = Gray::new(200, 100, vec![200; 20_000]);
        assert!(candidates(&blank, 1.0).is_empty());
    }
}
