//! Any bytes given as an image file: decoding and reading must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = verity_reader::read(data);
});
