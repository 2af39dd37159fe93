//! Prints perceptual-hash distances between generated selfies and documents (a tuning aid).
use verity_corpus::*;
use verity_reader::phash::{hex_distance, phash256};

fn hash(jpeg: &[u8]) -> String {
    phash256(&verity_reader::decode(jpeg).unwrap())
}

fn main() {
    let painter = Painter::new();
    let photo = portrait();
    let today = Date {
        year: 2026,
        month: 11,
        day: 25,
    };
    let doc = |s: u64, shot: u64| {
        let sp = Specimen::generate(
            &painter,
            s,
            Kind::ALL[(s % 2) as usize],
            today,
            Flaw::None,
            Some(&photo),
        );
        hash(&sp.photograph(Level::Light, shot).0)
    };
    let selfies: Vec<String> = (0..6).map(|s| hash(&selfie(s))).collect();
    let docs: Vec<String> = (0..6).map(|s| doc(s, s)).collect();
    let again: Vec<u32> = (0..6)
        .map(|s| hex_distance(&docs[s as usize], &doc(s, s + 100)))
        .collect();
    for (name, set) in [("selfies", &selfies), ("documents", &docs)] {
        let mut d = Vec::new();
        for i in 0..set.len() {
            for j in i + 1..set.len() {
                d.push(hex_distance(&set[i], &set[j]));
            }
        }
        d.sort();
        println!("{name}: pairwise distances {d:?}");
    }
    println!("same document, another photo: {again:?}");
    let reencoded: Vec<u32> = (0..6)
        .map(|s| {
            let j = selfie(s);
            let img = image::load_from_memory(&j).unwrap().to_rgb8();
            let small = image::imageops::resize(&img, 450, 600, image::imageops::FilterType::Triangle);
            hex_distance(&hash(&j), &hash(&photo::jpeg(&small, 60)))
        })
        .collect();
    println!("same selfie re-encoded smaller: {reencoded:?}");
}
