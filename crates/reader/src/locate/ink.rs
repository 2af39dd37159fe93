//! Ink: a local (Sauvola) threshold and the eight-connected dark components it leaves.

use crate::gray::{Gray, Integral};

/// A connected component of dark pixels in the working image.
#[derive(Clone, Debug)]
pub(super) struct Blob {
    pub(super) x0: usize,
    pub(super) y0: usize,
    pub(super) x1: usize,
    pub(super) y1: usize,
    pub(super) area: usize,
    pub(super) cx: f32,
    pub(super) cy: f32,
}

impl Blob {
    pub(super) fn size(&self) -> usize {
        (self.x1 - self.x0 + 1).max(self.y1 - self.y0 + 1)
    }
}

/// Sauvola threshold: ink where darker than the local mean by an amount that grows in flat areas.
pub(super) fn binarize(image: &Gray) -> Vec<u8> {
    let integral = Integral::new(image);
    let r = (image.width.max(image.height) / 60).clamp(6, 40);
    let mut out = vec![0u8; image.width * image.height];
    for y in 0..image.height {
        let y0 = y.saturating_sub(r);
        let y1 = (y + r).min(image.height - 1);
        for x in 0..image.width {
            let x0 = x.saturating_sub(r);
            let x1 = (x + r).min(image.width - 1);
            let (mean, dev) = integral.stats(x0, y0, x1, y1);
            let threshold = mean * (1.0 + 0.2 * (dev / 128.0 - 1.0));
            if (image.at(x, y) as f32) < threshold && dev > 6.0 {
                out[y * image.width + x] = 1;
            }
        }
    }
    out
}

/// Eight-connected components of `ink`; `labels` holds each pixel's component + 1.
pub(super) fn components(ink: &[u8], width: usize, height: usize) -> (Vec<u32>, Vec<Blob>) {
    let mut labels = vec![0u32; ink.len()];
    let mut blobs = Vec::new();
    let mut stack = Vec::new();
    for start in 0..ink.len() {
        if ink[start] == 0 || labels[start] != 0 {
            continue;
        }
        let id = blobs.len() as u32 + 1;
        let mut blob = Blob {
            x0: usize::MAX,
            y0: usize::MAX,
            x1: 0,
            y1: 0,
            area: 0,
            cx: 0.0,
            cy: 0.0,
        };
        let (mut sx, mut sy) = (0f64, 0f64);
        labels[start] = id;
        stack.push(start);
        while let Some(p) = stack.pop() {
            let (x, y) = (p % width, p / width);
            blob.x0 = blob.x0.min(x);
            blob.x1 = blob.x1.max(x);
            blob.y0 = blob.y0.min(y);
            blob.y1 = blob.y1.max(y);
            blob.area += 1;
            sx += x as f64;
            sy += y as f64;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let nx = x as i32 + dx;
                    let ny = y as i32 + dy;
                    if nx < 0 || ny < 0 || nx >= width as i32 || ny >= height as i32 {
                        continue;
                    }
                    let q = ny as usize * width + nx as usize;
                    if ink[q] != 0 && labels[q] == 0 {
                        labels[q] = id;
                        stack.push(q);
                    }
                }
            }
        }
        blob.cx = (sx / blob.area as f64) as f32;
        blob.cy = (sy / blob.area as f64) as f32;
        blobs.push(blob);
    }
    (labels, blobs)
}
