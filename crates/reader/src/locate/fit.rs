//! Least-squares fits, and the fitted geometry of one MRZ line (cell positions, pitch, height).

use super::LineGeometry;
use super::lines::{Glyph, TextLine};

/// Least squares fit of `y = a + b x (+ c x^2)`.
pub(super) fn fit(points: &[(f32, f32)], quadratic: bool) -> Option<[f32; 3]> {
    let n = points.len() as f64;
    if points.len() < if quadratic { 6 } else { 2 } {
        return None;
    }
    // Centre x for numerical stability.
    let mx = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let mut m = [[0f64; 4]; 3];
    let dim = if quadratic { 3 } else { 2 };
    for &(x, y) in points {
        let x = x as f64 - mx;
        let basis = [1.0, x, x * x];
        for r in 0..dim {
            for c in 0..dim {
                m[r][c] += basis[r] * basis[c];
            }
            m[r][3] += basis[r] * y as f64;
        }
    }
    // Gaussian elimination on the small normal equations.
    for col in 0..dim {
        let pivot = (col..dim).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, pivot);
        for r in 0..dim {
            if r != col {
                let f = m[r][col] / m[col][col];
                // Row `col` is read while row `r` is written: the index form is the clear one.
                #[allow(clippy::needless_range_loop)]
                for c in col..4 {
                    m[r][c] -= f * m[col][c];
                }
            }
        }
    }
    let coef: Vec<f64> = (0..dim).map(|r| m[r][3] / m[r][r]).collect();
    let (a, b, c) = (coef[0], coef[1], if quadratic { coef[2] } else { 0.0 });
    // Undo the centring: a + b (x - mx) + c (x - mx)^2.
    Some([(a - b * mx + c * mx * mx) as f32, (b - 2.0 * c * mx) as f32, c as f32])
}

/// Fits one line of an MRZ with `cells` characters whose first cell is centred near `start`.
pub(super) fn line_geometry(line: &TextLine, cells: usize, pitch: f32, start: f32) -> Option<LineGeometry> {
    let singles: Vec<&Glyph> = line.glyphs.iter().filter(|g| !g.run).collect();
    let capitals: Vec<&&Glyph> = singles.iter().filter(|g| g.height() >= 0.8 * line.height).collect();
    let top = fit(&capitals.iter().map(|g| (g.sc, g.t0)).collect::<Vec<_>>(), false)?;
    let bottom = fit(&capitals.iter().map(|g| (g.sc, g.t1)).collect::<Vec<_>>(), false)?;
    // Index glyphs by walking the line: each step is a whole number of local pitches, which
    // follows a pitch that perspective makes grow or shrink along the line.
    let first = singles.first()?;
    let mut k = ((first.sc - start) / pitch).round();
    let mut local = pitch;
    let mut indexed: Vec<(f32, f32)> = Vec::with_capacity(singles.len());
    if k >= 0.0 && k < cells as f32 {
        indexed.push((k, first.sc));
    }
    for pair in singles.windows(2) {
        let step = pair[1].sc - pair[0].sc;
        let n = (step / local).round().max(1.0);
        if n == 1.0 {
            local = 0.8 * local + 0.2 * step;
        }
        k += n;
        if k >= 0.0 && k < cells as f32 {
            indexed.push((k, pair[1].sc));
        }
    }
    if indexed.len() < cells / 3 {
        return None;
    }
    let pitch_fit = fit(&indexed, true).or_else(|| fit(&indexed, false))?;
    let fitted_pitch = pitch_fit[1] + pitch_fit[2] * cells as f32;
    if !(0.7 * pitch..=1.4 * pitch).contains(&pitch_fit[1].abs()) || fitted_pitch <= 0.0 {
        return None;
    }
    Some(LineGeometry {
        pitch_fit,
        top_fit: [top[0], top[1]],
        bottom_fit: [bottom[0], bottom[1]],
    })
}
