//! An 8-bit grayscale raster and the few operations the reader needs on it.

use image::DynamicImage;

#[derive(Clone, Debug)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Gray {
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Gray {
        assert_eq!(pixels.len(), width * height);
        Gray { width, height, pixels }
    }

    pub fn from_image(image: &DynamicImage) -> Gray {
        let luma = image.to_luma8();
        let (w, h) = luma.dimensions();
        Gray::new(w as usize, h as usize, luma.into_raw())
    }

    #[inline]
    pub fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// Bilinear sample at a real position (pixel centres at integers); outside reads the edge.
    #[inline]
    pub fn sample(&self, x: f32, y: f32) -> f32 {
        let max_x = (self.width - 1) as f32;
        let max_y = (self.height - 1) as f32;
        let x = x.clamp(0.0, max_x);
        let y = y.clamp(0.0, max_y);
        let x0 = x.floor() as usize;
        let y0 = y.floor() as usize;
        let x1 = (x0 + 1).min(self.width - 1);
        let y1 = (y0 + 1).min(self.height - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let a = self.at(x0, y0) as f32;
        let b = self.at(x1, y0) as f32;
        let c = self.at(x0, y1) as f32;
        let d = self.at(x1, y1) as f32;
        let top = a + (b - a) * fx;
        let bottom = c + (d - c) * fx;
        top + (bottom - top) * fy
    }

    /// Shrinks by an integer factor, averaging each `factor` x `factor` block.
    pub fn shrink(&self, factor: usize) -> Gray {
        if factor <= 1 {
            return self.clone();
        }
        let w = (self.width / factor).max(1);
        let h = (self.height / factor).max(1);
        let mut out = vec![0u8; w * h];
        let area = (factor * factor) as u32;
        for oy in 0..h {
            for ox in 0..w {
                let mut sum = 0u32;
                for y in oy * factor..((oy + 1) * factor).min(self.height) {
                    let row = &self.pixels[y * self.width..];
                    for &p in &row[ox * factor..((ox + 1) * factor).min(self.width)] {
                        sum += p as u32;
                    }
                }
                out[oy * w + ox] = (sum / area) as u8;
            }
        }
        Gray::new(w, h, out)
    }

    pub fn mean(&self) -> f32 {
        if self.pixels.is_empty() {
            return 0.0;
        }
        self.pixels.iter().map(|&p| p as u64).sum::<u64>() as f32 / self.pixels.len() as f32
    }
}

/// Summed-area tables of values and squared values, for local means and deviations in O(1).
pub struct Integral {
    width: usize,
    sum: Vec<u64>,
    squares: Vec<u64>,
}

impl Integral {
    pub fn new(image: &Gray) -> Integral {
        let w = image.width + 1;
        let h = image.height + 1;
        let mut sum = vec![0u64; w * h];
        let mut squares = vec![0u64; w * h];
        for y in 0..image.height {
            let mut row_sum = 0u64;
            let mut row_sq = 0u64;
            for x in 0..image.width {
                let v = image.at(x, y) as u64;
                row_sum += v;
                row_sq += v * v;
                sum[(y + 1) * w + x + 1] = sum[y * w + x + 1] + row_sum;
                squares[(y + 1) * w + x + 1] = squares[y * w + x + 1] + row_sq;
            }
        }
        Integral { width: w, sum, squares }
    }

    /// Mean and standard deviation over the inclusive rectangle.
    pub fn stats(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> (f32, f32) {
        let w = self.width;
        let (xa, ya, xb, yb) = (x0, y0, x1 + 1, y1 + 1);
        let n = ((xb - xa) * (yb - ya)) as f64;
        let s = self.sum[yb * w + xb] + self.sum[ya * w + xa] - self.sum[ya * w + xb] - self.sum[yb * w + xa];
        let q = self.squares[yb * w + xb] + self.squares[ya * w + xa]
            - self.squares[ya * w + xb]
            - self.squares[yb * w + xa];
        let mean = s as f64 / n;
        let var = (q as f64 / n - mean * mean).max(0.0);
        (mean as f32, var.sqrt() as f32)
    }
}

/// Otsu's threshold of a set of intensities.
pub fn otsu(values: &[f32]) -> f32 {
    let mut hist = [0u32; 256];
    for &v in values {
        hist[v.clamp(0.0, 255.0) as usize] += 1;
    }
    let total = values.len() as f64;
    if total == 0.0 {
        return 128.0;
    }
    let sum_all: f64 = hist.iter().enumerate().map(|(i, &c)| i as f64 * c as f64).sum();
    let (mut w_b, mut sum_b, mut best, mut best_t) = (0f64, 0f64, -1f64, 128usize);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0.0 {
            break;
        }
        sum_b += t as f64 * c as f64;
        let m_b = sum_b / w_b;
        let m_f = (sum_all - sum_b) / w_f;
        let between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            best_t = t;
        }
    }
    best_t as f32 + 0.5
}
