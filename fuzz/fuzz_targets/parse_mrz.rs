//! Any text as MRZ lines: parsing must never panic, and check digits are findings.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let lines: Vec<&str> = text.lines().collect();
        if let Ok(mrz) = verity_domain::mrz::parse(&lines) {
            let _ = mrz.valid();
        }
    }
});
