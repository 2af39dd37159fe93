//! The reader never panics, whatever it is given: random bytes, truncated and corrupted image
//! files, random and structured pixels, degenerate sizes. (The fuzz targets in `fuzz/` explore the
//! same paths with coverage guidance; this runs a fixed sample on every CI run.)

use verity_reader::{Gray, read, read_gray};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn jpeg_of(gray: &Gray) -> Vec<u8> {
    let image = image::GrayImage::from_raw(gray.width as u32, gray.height as u32, gray.pixels.clone()).unwrap();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&image)
        .unwrap();
    out
}

/// Text-like stripes of dark blobs on a light page: the locator's favourite input.
fn stripes(rng: &mut Rng, width: usize, height: usize) -> Gray {
    let mut pixels = vec![220u8; width * height];
    for line in 0..(height / 24).max(1) {
        let y0 = line * 24 + 4;
        let mut x = 4 + rng.below(8);
        while x + 10 < width {
            let w = 3 + rng.below(8);
            let h = 6 + rng.below(12);
            for y in y0..(y0 + h).min(height) {
                for xx in x..(x + w).min(width) {
                    pixels[y * width + xx] = rng.below(60) as u8;
                }
            }
            x += w + 2 + rng.below(6);
        }
    }
    Gray::new(width, height, pixels)
}

#[test]
fn random_bytes_are_refused_as_not_an_image() {
    let mut rng = Rng(1);
    for _ in 0..300 {
        let len = rng.below(4096);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(read(&bytes).is_err(), "{len} random bytes were taken for an image");
    }
}

#[test]
fn corrupted_and_truncated_images_never_panic() {
    let mut rng = Rng(2);
    let base = jpeg_of(&stripes(&mut rng, 640, 400));
    assert!(read(&base).is_ok());
    for i in 0..200 {
        let mut bytes = base.clone();
        if i % 2 == 0 {
            bytes.truncate(rng.below(bytes.len()));
        }
        for _ in 0..1 + rng.below(20) {
            let at = rng.below(bytes.len().max(1));
            if let Some(b) = bytes.get_mut(at) {
                *b = rng.next() as u8;
            }
        }
        // Either an error or a reading; reaching the next iteration is the assertion.
        let _ = read(&bytes);
    }
}

#[test]
fn any_pixels_and_sizes_never_panic() {
    let mut rng = Rng(3);
    for (w, h) in [(1, 1), (2, 300), (300, 2), (15, 15), (16, 16), (33, 1000), (2000, 40)] {
        let pixels: Vec<u8> = (0..w * h).map(|_| rng.next() as u8).collect();
        let reading = read_gray(&Gray::new(w, h, pixels));
        assert!(reading.mrz.is_none(), "noise read as an MRZ");
    }
    for _ in 0..40 {
        let (w, h) = (100 + rng.below(900), 80 + rng.below(700));
        let _ = read_gray(&stripes(&mut rng, w, h));
        let noise: Vec<u8> = (0..w * h).map(|_| rng.next() as u8).collect();
        let _ = read_gray(&Gray::new(w, h, noise));
    }
}
