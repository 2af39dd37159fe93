//! Writes one photographed specimen: `cargo run --example one -- SEED KIND LEVEL FLAW OUT.jpg
//! [SELFIE.jpg]`; with a selfie path, the document carries the bundled real portrait and a selfie
//! of the same person is written there.
use verity_corpus::*;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let seed: u64 = a[0].parse().unwrap();
    let kind = Kind::ALL.into_iter().find(|k| k.as_str() == a[1]).unwrap();
    let level = Level::parse(&a[2]).unwrap();
    let flaw = match a[3].as_str() {
        "tampered" => Flaw::TamperedBirthDate,
        "expired" => Flaw::Expired,
        _ => Flaw::None,
    };
    let specimen = Specimen::generate(
        &Painter::new(),
        seed,
        kind,
        Date {
            year: 2026,
            month: 11,
            day: 25,
        },
        flaw,
        a.get(5).map(|_| portrait()).as_ref(),
    );
    if let Some(path) = a.get(5) {
        std::fs::write(path, selfie(seed)).unwrap();
    }
    let (jpeg, shot) = specimen.photograph(level, seed);
    std::fs::write(&a[4], jpeg).unwrap();
    println!("{:?}\n{shot:?}", specimen.mrz);
}
