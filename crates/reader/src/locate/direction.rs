//! The dominant text direction, voted by each component's nearest similar-sized neighbour.

use super::ink::Blob;

/// The text direction in [0, pi), voted by each component's nearest similar-sized neighbour.
pub(super) fn dominant_angle(blobs: &[&Blob]) -> Option<f32> {
    if blobs.len() < 10 {
        return None;
    }
    let mut sizes: Vec<usize> = blobs.iter().map(|b| b.size()).collect();
    sizes.sort_unstable();
    let cell = (sizes[sizes.len() / 2] * 3).max(8) as f32;
    let mut grid: std::collections::HashMap<(i32, i32), Vec<usize>> = std::collections::HashMap::new();
    for (i, b) in blobs.iter().enumerate() {
        grid.entry(((b.cx / cell) as i32, (b.cy / cell) as i32))
            .or_default()
            .push(i);
    }
    let mut hist = [0f32; 180];
    for (i, a) in blobs.iter().enumerate() {
        let size_a = a.size() as f32;
        let (gx, gy) = ((a.cx / cell) as i32, (a.cy / cell) as i32);
        let mut best: Option<(f32, f32, f32)> = None;
        for dy in -1..=1 {
            for dx in -1..=1 {
                for &j in grid.get(&(gx + dx, gy + dy)).map(Vec::as_slice).unwrap_or(&[]) {
                    if j == i {
                        continue;
                    }
                    let b = blobs[j];
                    let ratio = b.size() as f32 / size_a;
                    if !(0.6..=1.7).contains(&ratio) {
                        continue;
                    }
                    let (ex, ey) = (b.cx - a.cx, b.cy - a.cy);
                    let d2 = ex * ex + ey * ey;
                    if d2 < (2.5 * size_a).powi(2) && best.is_none_or(|(bd, _, _)| d2 < bd) {
                        best = Some((d2, ex, ey));
                    }
                }
            }
        }
        if let Some((_, ex, ey)) = best {
            let mut deg = ey.atan2(ex).to_degrees();
            if deg < 0.0 {
                deg += 180.0;
            }
            hist[(deg.round() as usize) % 180] += 1.0;
        }
    }
    let smooth = |i: usize| -> f32 { (0..5).map(|k| hist[(i + 180 + k - 2) % 180]).sum() };
    let peak = (0..180).max_by(|&a, &b| smooth(a).total_cmp(&smooth(b)))?;
    if smooth(peak) < 5.0 {
        return None;
    }
    // Weighted mean around the peak, on the circle of directions.
    let (mut sum, mut weight) = (0f32, 0f32);
    for k in -2i32..=2 {
        let bin = (peak as i32 + k).rem_euclid(180) as usize;
        sum += (peak as f32 + k as f32) * hist[bin];
        weight += hist[bin];
    }
    Some((sum / weight).to_radians())
}
