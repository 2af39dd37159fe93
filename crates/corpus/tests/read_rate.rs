//! The MRZ reader's read rate on a small fixed-seed corpus (the benchmark measures time; this
//! test only asserts what is read). Clean scans must all read exactly; ordinary phone photos
//! (the "medium" level: tilted, skewed, blurred, noisy, JPEG, sometimes upside down or sideways,
//! sometimes with glare) at the 95% target with a margin for the small sample.

use verity_corpus::{Date, Flaw, Kind, Level, Painter, Specimen};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 25,
};

fn exact_reads(level: Level, count: u64, seed: u64) -> (usize, Vec<String>) {
    let painter = Painter::new();
    let mut misses = Vec::new();
    let mut exact = 0;
    for n in 0..count {
        let doc_seed = seed * 1000 + n;
        let specimen = Specimen::generate(&painter, doc_seed, Kind::ALL[(n % 4) as usize], TODAY, Flaw::None, None);
        let (jpeg, shot) = specimen.photograph(level, doc_seed);
        let read = verity_reader::read(&jpeg).expect("a JPEG decodes").mrz.map(|m| m.lines);
        if read.as_ref() == Some(&specimen.mrz) {
            exact += 1;
        } else {
            misses.push(format!(
                "{:?} {shot:?}: {:?} read {read:?}",
                specimen.kind, specimen.mrz
            ));
        }
    }
    (exact, misses)
}

#[test]
fn every_clean_document_reads_exactly() {
    let (exact, misses) = exact_reads(Level::Clean, 16, 11);
    assert_eq!(exact, 16, "misses: {misses:#?}");
}

#[test]
fn phone_photos_read_at_the_target_rate() {
    let (exact, misses) = exact_reads(Level::Medium, 40, 12);
    assert!(exact >= 36, "{exact}/40 read exactly; misses: {misses:#?}");
}

#[test]
fn a_tampered_birth_date_reads_as_printed_and_fails_its_check_digit() {
    let painter = Painter::new();
    for n in 0..12u64 {
        let kind = Kind::ALL[(n % 4) as usize];
        let specimen = Specimen::generate(&painter, 500 + n, kind, TODAY, Flaw::TamperedBirthDate, None);
        let (jpeg, _) = specimen.photograph(Level::Light, 500 + n);
        let reading = verity_reader::read(&jpeg).unwrap().mrz.expect("the zone is found");
        assert_eq!(reading.lines, specimen.mrz, "{kind:?}: read as printed, not corrected");
        let failed: Vec<&str> = reading
            .fields
            .check_digits
            .iter()
            .filter(|c| !c.ok())
            .map(|c| c.field)
            .collect();
        assert!(failed.contains(&"birth_date"), "{kind:?}: {failed:?}");
    }
}

#[test]
fn a_blank_page_or_a_photo_without_text_has_no_zone() {
    let blank = image::RgbImage::from_pixel(800, 600, image::Rgb([235, 235, 230]));
    let jpeg = verity_corpus::photo::jpeg(&blank, 85);
    let reading = verity_reader::read(&jpeg).unwrap();
    assert!(reading.mrz.is_none());
    assert!(verity_reader::read(b"not an image").is_err());
}
