//! Recognises OCR-B characters in MRZ cells. Each cell is resampled from the original image along
//! the fitted line, its ink is normalised by the line's own background and ink levels, and the
//! glyph's box is compared with templates rendered from the bundled OCR-B font (sharp and
//! blurred), by normalised correlation plus the box's shape (aspect ratio and relative height).

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, point};

use crate::gray::{Gray, otsu};
use crate::locate::{Candidate, Cell};

pub const OCR_B: &[u8] = include_bytes!("../assets/OCRB.otf");
pub const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";

const GW: usize = 12;
const GH: usize = 16;
/// Samples per cell: across the pitch and over 1.6 cap heights.
const PW: usize = 22;
const PH: usize = 30;

/// A glyph's shape: its ink resampled into a fixed grid (zero mean, unit norm) and its box.
#[derive(Clone, Debug)]
struct Shape {
    grid: [f32; GW * GH],
    aspect: f32,
    relative_height: f32,
}

struct Template {
    class: usize,
    /// Index into `BLURS`.
    blur: usize,
    shape: Shape,
}

/// Template blurs, in pixels at the 96 px rendering (cap height about 67 px).
const BLURS: [f32; 5] = [0.0, 2.0, 4.0, 6.0, 9.0];

/// Resamples the ink of `box` (x0, y0, x1, y1, inclusive, in `ink` coordinates) into a grid.
fn shape_of(
    ink: &[f32],
    width: usize,
    bounds: (usize, usize, usize, usize),
    aspect: f32,
    relative_height: f32,
) -> Shape {
    let (x0, y0, x1, y1) = bounds;
    let bw = (x1 - x0 + 1) as f32;
    let bh = (y1 - y0 + 1) as f32;
    let mut grid = [0f32; GW * GH];
    for gy in 0..GH {
        for gx in 0..GW {
            // Average the source area the grid cell covers (at least one sample).
            let sx0 = x0 as f32 + gx as f32 * bw / GW as f32;
            let sx1 = x0 as f32 + (gx + 1) as f32 * bw / GW as f32;
            let sy0 = y0 as f32 + gy as f32 * bh / GH as f32;
            let sy1 = y0 as f32 + (gy + 1) as f32 * bh / GH as f32;
            let (mut sum, mut n) = (0f32, 0f32);
            let mut y = sy0.floor() as usize;
            while (y as f32) < sy1.max(sy0 + 1.0) && y <= y1 {
                let mut x = sx0.floor() as usize;
                while (x as f32) < sx1.max(sx0 + 1.0) && x <= x1 {
                    sum += ink[y * width + x];
                    n += 1.0;
                    x += 1;
                }
                y += 1;
            }
            grid[gy * GW + gx] = if n > 0.0 { sum / n } else { 0.0 };
        }
    }
    let mean = grid.iter().sum::<f32>() / grid.len() as f32;
    let mut norm = 0f32;
    for v in grid.iter_mut() {
        *v -= mean;
        norm += *v * *v;
    }
    let norm = norm.sqrt().max(1e-6);
    for v in grid.iter_mut() {
        *v /= norm;
    }
    Shape {
        grid,
        aspect,
        relative_height,
    }
}

/// The box of the ink that belongs to the glyph in the middle of a cell: components touching the
/// central area, ignoring specks and neighbours reaching in from the sides.
fn glyph_box(ink: &[f32], width: usize, height: usize) -> Option<(usize, usize, usize, usize)> {
    let mut labels = vec![0u16; ink.len()];
    let mut next = 0u16;
    let mut best: Option<(usize, usize, usize, usize)> = None;
    let mut stack = Vec::new();
    for start in 0..ink.len() {
        if ink[start] < 0.5 || labels[start] != 0 {
            continue;
        }
        next += 1;
        labels[start] = next;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1, mut count) = (usize::MAX, usize::MAX, 0, 0, 0);
        while let Some(p) = stack.pop() {
            let (x, y) = (p % width, p / width);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            count += 1;
            for (dx, dy) in [
                (-1i32, 0i32),
                (1, 0),
                (0, -1),
                (0, 1),
                (-1, -1),
                (1, 1),
                (-1, 1),
                (1, -1),
            ] {
                let nx = x as i32 + dx;
                let ny = y as i32 + dy;
                if nx < 0 || ny < 0 || nx >= width as i32 || ny >= height as i32 {
                    continue;
                }
                let q = ny as usize * width + nx as usize;
                if ink[q] >= 0.5 && labels[q] == 0 {
                    labels[q] = next;
                    stack.push(q);
                }
            }
        }
        let central_x = x0 <= width * 3 / 4 && x1 >= width / 4;
        let central_y = y0 <= height * 3 / 4 && y1 >= height / 4;
        // A neighbour's edge can reach in; the glyph itself covers the middle column band.
        let mid = width / 2;
        let spans_mid = x0 <= mid + width / 5 && x1 + width / 5 >= mid;
        if count >= 4 && central_x && central_y && spans_mid {
            best = Some(match best {
                None => (x0, y0, x1, y1),
                Some((a, b, c, d)) => (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
            });
        }
    }
    best
}

fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let font = FontRef::try_from_slice(OCR_B).expect("the bundled OCR-B font parses");
        let scale = PxScale::from(96.0);
        let render = |c: char| -> Option<(Vec<f32>, usize, usize)> {
            let glyph = font.glyph_id(c).with_scale_and_position(scale, point(0.0, 96.0));
            let outlined = font.outline_glyph(glyph)?;
            let b = outlined.px_bounds();
            let (w, h) = (b.width() as usize + 8, b.height() as usize + 8);
            let mut ink = vec![0f32; w * h];
            outlined.draw(|x, y, c| {
                let i = (y as usize + 4) * w + x as usize + 4;
                if i < ink.len() {
                    ink[i] = c.min(1.0);
                }
            });
            Some((ink, w, h))
        };
        // Scale blurred ink back to full strength, as lines are normalised by their own ink
        // level, so thin strokes do not fade under the threshold.
        let blurred = |ink: &[f32], w: usize, h: usize, sigma: f32| -> Vec<f32> {
            if sigma == 0.0 {
                return ink.to_vec();
            }
            let b = blur(ink, w, h, sigma);
            let peak = b.iter().copied().fold(0f32, f32::max).max(1e-3);
            b.iter().map(|v| (v / (0.9 * peak)).min(1.0)).collect()
        };
        // Heights are relative to a capital blurred alike, as the line's measured height is.
        let caps: Vec<f32> = BLURS
            .iter()
            .map(|&sigma| {
                render('H')
                    .and_then(|(ink, w, h)| glyph_box_tight(&blurred(&ink, w, h, sigma), w, h))
                    .map_or(70.0, |b| (b.3 - b.1 + 1) as f32)
            })
            .collect();
        let mut out = Vec::new();
        for (class, &c) in ALPHABET.iter().enumerate() {
            let Some((ink, w, h)) = render(c as char) else { continue };
            for (blur_index, &sigma) in BLURS.iter().enumerate() {
                let cap = caps[blur_index];
                let ink = blurred(&ink, w, h, sigma);
                let Some(bounds) = glyph_box_tight(&ink, w, h) else {
                    continue;
                };
                let (bw, bh) = ((bounds.2 - bounds.0 + 1) as f32, (bounds.3 - bounds.1 + 1) as f32);
                out.push(Template {
                    class,
                    blur: blur_index,
                    shape: shape_of(&ink, w, bounds, bw / bh, bh / cap),
                });
            }
        }
        out
    })
}

/// The box of all ink at or above one half.
fn glyph_box_tight(ink: &[f32], width: usize, height: usize) -> Option<(usize, usize, usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] >= 0.5 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    (x0 != usize::MAX).then_some((x0, y0, x1, y1))
}

/// A separable Gaussian blur of a small float raster.
pub fn blur(values: &[f32], width: usize, height: usize, sigma: f32) -> Vec<f32> {
    let radius = (sigma * 3.0).ceil() as i32;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0f32; src.len()];
        for y in 0..height as i32 {
            for x in 0..width as i32 {
                let mut acc = 0f32;
                for (k, w) in kernel.iter().enumerate() {
                    let o = k as i32 - radius;
                    let (sx, sy) = if horizontal { (x + o, y) } else { (x, y + o) };
                    let sx = sx.clamp(0, width as i32 - 1);
                    let sy = sy.clamp(0, height as i32 - 1);
                    acc += w * src[(sy as usize) * width + sx as usize];
                }
                out[(y as usize) * width + x as usize] = acc / total;
            }
        }
        out
    };
    pass(&pass(values, true), false)
}

/// What one cell was read as: the score of every class (higher is better).
#[derive(Clone, Debug)]
pub struct CellReading {
    pub scores: [f32; 37],
}

impl CellReading {
    pub fn best_of(&self, allowed: &[u8]) -> (u8, f32) {
        allowed
            .iter()
            .map(|&c| (c, self.scores[class_of(c)]))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((b'<', f32::MIN))
    }
}

pub fn class_of(c: u8) -> usize {
    match c {
        b'0'..=b'9' => (c - b'0') as usize,
        b'A'..=b'Z' => (c - b'A') as usize + 10,
        _ => 36,
    }
}

/// The shape of the glyph in a cell, if the cell holds any ink.
fn cell_shape(ink: &[f32], cell: &Cell) -> Option<Shape> {
    let bounds = glyph_box(ink, PW, PH)?;
    // Sample spacing in original pixels, along and across the line.
    let ds = cell.pitch * 1.1 / PW as f32;
    let dt = cell.height * 1.6 / PH as f32;
    let (bw, bh) = ((bounds.2 - bounds.0 + 1) as f32, (bounds.3 - bounds.1 + 1) as f32);
    Some(shape_of(
        ink,
        PW,
        bounds,
        (bw * ds) / (bh * dt),
        bh * dt / cell.height.max(1e-3),
    ))
}

/// Scores of every class against the templates of every blur level; `height_scale` corrects
/// the line's measured cap height (digits are taller than capitals, and lines mix both).
fn classify(shape: Option<&Shape>, height_scale: f32) -> [[f32; 37]; BLURS.len()] {
    let Some(shape) = shape else {
        return [[-2.0; 37]; BLURS.len()];
    };
    let relative_height = shape.relative_height / height_scale;
    let mut scores = [[f32::MIN; 37]; BLURS.len()];
    for t in templates() {
        let ncc: f32 = shape.grid.iter().zip(t.shape.grid.iter()).map(|(a, b)| a * b).sum();
        let score = ncc
            - 0.5 * (shape.aspect / t.shape.aspect).ln().abs()
            - 0.7 * (relative_height - t.shape.relative_height).abs();
        let slot = &mut scores[t.blur][t.class];
        if score > *slot {
            *slot = score;
        }
    }
    scores
}

/// The best class and its relative height at one blur level, with its margin over the next.
fn best_with_margin(scores: &[f32; 37]) -> (usize, f32) {
    let mut order: Vec<usize> = (0..37).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    (order[0], scores[order[0]] - scores[order[1]])
}

fn template_height(class: usize, blur: usize) -> Option<f32> {
    templates()
        .iter()
        .find(|t| t.class == class && t.blur == blur)
        .map(|t| t.shape.relative_height)
}

/// Samples every cell of every line of a candidate and classifies it.
pub fn read_cells(image: &Gray, candidate: &Candidate) -> (Vec<Vec<CellReading>>, CellStats) {
    let (along, across) = candidate.frame.axes();
    let mut lines = Vec::new();
    let mut stats = CellStats::default();
    for line in &candidate.lines {
        let cells: Vec<Cell> = (0..candidate.cells).map(|k| line.cell(&candidate.frame, k)).collect();
        let mut samples: Vec<Vec<f32>> = Vec::with_capacity(cells.len());
        for cell in &cells {
            let mut patch = Vec::with_capacity(PW * PH);
            for py in 0..PH {
                let t = (py as f32 + 0.5) / PH as f32 * 1.6 - 0.8;
                for px in 0..PW {
                    let s = (px as f32 + 0.5) / PW as f32 * 1.1 - 0.55;
                    let x = cell.x + s * cell.pitch * along.0 + t * cell.height * across.0;
                    let y = cell.y + s * cell.pitch * along.1 + t * cell.height * across.1;
                    patch.push(image.sample(x, y));
                }
            }
            samples.push(patch);
        }
        let all: Vec<f32> = samples.iter().flatten().copied().collect();
        let threshold = otsu(&all);
        let (mut bg, mut nb, mut fg, mut nf) = (0f32, 0f32, 0f32, 0f32);
        for &v in &all {
            if v >= threshold {
                bg += v;
                nb += 1.0;
            } else {
                fg += v;
                nf += 1.0;
            }
        }
        let bg = bg / nb.max(1.0);
        let fg = fg / nf.max(1.0);
        let range = (bg - fg).max(1.0);
        stats.contrast += range;
        stats.cap_height += cells.iter().map(|c| c.height).sum::<f32>() / cells.len().max(1) as f32;
        let mut shapes = Vec::with_capacity(cells.len());
        for (cell, patch) in cells.iter().zip(samples) {
            // Normalise against the cell's own paper where a glare spot lifts it, but never
            // stretch a faint cell's contrast beyond the line's.
            let mut sorted = patch.clone();
            sorted.sort_by(f32::total_cmp);
            let paper = sorted[sorted.len() * 9 / 10];
            let darkest = sorted[sorted.len() / 20];
            let (paper, local_range) = if paper > bg + 0.25 * range {
                (paper, (paper - darkest).max(0.5 * range).min(range))
            } else {
                (bg, range)
            };
            let ink: Vec<f32> = patch
                .iter()
                .map(|v| ((paper - v) / local_range).clamp(0.0, 1.0))
                .collect();
            for &v in &ink {
                if v > 0.2 {
                    stats.inked += 1;
                    if v < 0.8 {
                        stats.mid_tones += 1;
                    }
                }
            }
            shapes.push(cell_shape(&ink, cell));
        }
        let choose_level = |by_blur: &[[[f32; 37]; BLURS.len()]]| -> usize {
            // The whole line is as blurred as its best-matching template set says.
            (0..BLURS.len())
                .max_by(|&a, &b| {
                    let total = |l: usize| -> f32 {
                        by_blur
                            .iter()
                            .map(|s| s[l].iter().copied().fold(f32::MIN, f32::max))
                            .sum()
                    };
                    total(a).total_cmp(&total(b))
                })
                .unwrap_or(0)
        };
        let mut by_blur: Vec<_> = shapes.iter().map(|s| classify(s.as_ref(), 1.0)).collect();
        let mut level = choose_level(&by_blur);
        // Calibrate the line's height on its confidently read glyphs, then read again.
        let mut ratios: Vec<f32> = shapes
            .iter()
            .zip(&by_blur)
            .filter_map(|(shape, scores)| {
                let (class, margin) = best_with_margin(&scores[level]);
                let shape = shape.as_ref()?;
                (margin > 0.15 && class != 36).then(|| Some(shape.relative_height / template_height(class, level)?))?
            })
            .collect();
        if ratios.len() >= 5 {
            ratios.sort_by(f32::total_cmp);
            let scale = ratios[ratios.len() / 2];
            by_blur = shapes.iter().map(|s| classify(s.as_ref(), scale)).collect();
            level = choose_level(&by_blur);
        }
        lines.push(by_blur.iter().map(|s| CellReading { scores: s[level] }).collect());
    }
    let n = candidate.lines.len().max(1) as f32;
    stats.contrast /= n;
    stats.cap_height /= n;
    (lines, stats)
}

/// Measures taken while reading, for the image quality findings.
#[derive(Clone, Debug, Default)]
pub struct CellStats {
    pub contrast: f32,
    pub cap_height: f32,
    pub inked: usize,
    pub mid_tones: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_has_templates() {
        let t = templates();
        for class in 0..37 {
            assert_eq!(
                t.iter().filter(|t| t.class == class).count(),
                BLURS.len(),
                "class {class}"
            );
        }
    }

    #[test]
    fn a_rendered_template_matches_itself_best() {
        let t = templates();
        for a in t.iter().filter(|t| t.shape.grid.iter().any(|v| *v != 0.0)).step_by(3) {
            let best = t
                .iter()
                .max_by(|x, y| {
                    let sx: f32 = a.shape.grid.iter().zip(x.shape.grid.iter()).map(|(p, q)| p * q).sum();
                    let sy: f32 = a.shape.grid.iter().zip(y.shape.grid.iter()).map(|(p, q)| p * q).sum();
                    sx.total_cmp(&sy)
                })
                .unwrap();
            assert_eq!(best.class, a.class);
        }
    }
}
