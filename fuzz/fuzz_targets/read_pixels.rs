//! Any pixels (the first byte sets the width): locating and reading an MRZ must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let width = 16 + data[0] as usize;
    let pixels = &data[1..];
    let height = pixels.len() / width;
    if height == 0 {
        return;
    }
    let gray = verity_reader::Gray::new(width, height, pixels[..width * height].to_vec());
    let _ = verity_reader::read_gray(&gray);
    let _ = verity_reader::face::detect(&gray);
});
