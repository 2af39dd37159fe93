//! A perceptual hash (DCT of a 32x32 reduction, 8x8 low frequencies against their median): the
//! same photo re-encoded, resized or slightly retouched keeps a hash a few bits away.

use crate::gray::Gray;

/// The image reduced to `n` x `n` block averages.
fn reduce(image: &Gray, n: usize) -> Vec<f32> {
    let mut small = vec![0f32; n * n];
    for y in 0..n {
        for x in 0..n {
            let x0 = x * image.width / n;
            let x1 = ((x + 1) * image.width / n).max(x0 + 1).min(image.width);
            let y0 = y * image.height / n;
            let y1 = ((y + 1) * image.height / n).max(y0 + 1).min(image.height);
            let (mut sum, mut count) = (0f32, 0f32);
            for yy in y0..y1 {
                for xx in x0..x1 {
                    sum += image.at(xx, yy) as f32;
                    count += 1.0;
                }
            }
            small[y * n + x] = sum / count.max(1.0);
        }
    }
    small
}

pub fn phash(image: &Gray) -> u64 {
    const N: usize = 32;
    let small = reduce(image, N);
    let cos: Vec<f32> = (0..8 * N)
        .map(|i| {
            let (u, x) = (i / N, i % N);
            (std::f32::consts::PI * u as f32 * (2 * x + 1) as f32 / (2 * N) as f32).cos()
        })
        .collect();
    let mut coefficients = [0f32; 64];
    for v in 0..8 {
        for u in 0..8 {
            let mut acc = 0f32;
            for y in 0..N {
                let cy = cos[v * N + y];
                for x in 0..N {
                    acc += small[y * N + x] * cos[u * N + x] * cy;
                }
            }
            coefficients[v * 8 + u] = acc;
        }
    }
    let mut rest: Vec<f32> = coefficients[1..].to_vec();
    rest.sort_by(f32::total_cmp);
    let median = rest[rest.len() / 2];
    coefficients
        .iter()
        .enumerate()
        .skip(1)
        .fold(0u64, |h, (i, &c)| if c > median { h | (1 << i) } else { h })
}

pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// A 256-bit perceptual hash (16x16 low frequencies of a 64x64 reduction), as 64 hex digits:
/// fine enough that two documents of one template, or two people photographed alike, stay far
/// apart, while a re-encoded, resized or slightly cropped copy stays close.
pub fn phash256(image: &Gray) -> String {
    const N: usize = 64;
    const K: usize = 16;
    let small = reduce(image, N);
    let cos: Vec<f32> = (0..K * N)
        .map(|i| {
            let (u, x) = (i / N, i % N);
            (std::f32::consts::PI * u as f32 * (2 * x + 1) as f32 / (2 * N) as f32).cos()
        })
        .collect();
    // Separable DCT: rows first, then columns.
    let mut rows = vec![0f32; N * K];
    for y in 0..N {
        for u in 0..K {
            rows[y * K + u] = (0..N).map(|x| small[y * N + x] * cos[u * N + x]).sum();
        }
    }
    let mut coefficients = vec![0f32; K * K];
    for v in 0..K {
        for u in 0..K {
            coefficients[v * K + u] = (0..N).map(|y| rows[y * K + u] * cos[v * N + y]).sum();
        }
    }
    let mut rest: Vec<f32> = coefficients[1..].to_vec();
    rest.sort_by(f32::total_cmp);
    let median = rest[rest.len() / 2];
    let bits: Vec<bool> = coefficients
        .iter()
        .enumerate()
        .map(|(i, &c)| i > 0 && c > median)
        .collect();
    bits.chunks(4)
        .map(|nibble| {
            let v = nibble.iter().fold(0u8, |acc, &b| (acc << 1) | b as u8);
            char::from_digit(v as u32, 16).unwrap_or('0')
        })
        .collect()
}

/// Bits that differ between two hex hashes of the same length.
pub fn hex_distance(a: &str, b: &str) -> u32 {
    a.chars()
        .zip(b.chars())
        .map(|(x, y)| (x.to_digit(16).unwrap_or(0) ^ y.to_digit(16).unwrap_or(0)).count_ones())
        .sum::<u32>()
        + (a.len().abs_diff(b.len()) as u32) * 4
}
