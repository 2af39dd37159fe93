//! Prints what `verity_faces::scan` finds in each image given: boxes, landmarks, measures and
//! timings (the descriptor's first values only). For looking inside the pipeline by hand.

fn main() {
    for path in std::env::args().skip(1) {
        let image = match image::open(&path) {
            Ok(i) => i.to_rgb8(),
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let Some(scan) = verity_faces::scan(&image, verity_faces::Photo::Document) else {
            eprintln!("no detector built in");
            return;
        };
        println!("{path}: {} detected, timings {:?}", scan.detected, scan.timings);
        for f in &scan.faces {
            println!(
                "  box {:?} landmarks {:?} eye {:.1} yaw {:.3} sharpness {:.1} descriptor[..4] {:?}",
                f.detected,
                f.landmarks.map(|p| (p.x, p.y)),
                f.eye_distance,
                f.yaw,
                f.sharpness,
                &f.descriptor.0[..4]
            );
        }
    }
}
