//! Conformance with dlib itself: the fixtures in `tests/fixtures` were written by
//! `tools/faces/reference.cpp`, built against Debian's libdlib-dev (dlib 19.24) and run on the
//! original `.dat` models (`tools/faces/make_fixtures.sh` regenerates them).

use std::path::{Path, PathBuf};

use serde_json::Value;
use verity_faces::{Chip, FaceBox, FaceNet, Intensities, Point, ShapePredictor, align, intensities};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join(name)).unwrap()).unwrap()
}

fn rgb(name: &str) -> image::RgbImage {
    image::open(fixtures().join(name)).unwrap().to_rgb8()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn descriptors_equal_dlibs_within_1e_4() {
    let fixture = json("descriptors.json");
    let net = FaceNet::builtin();
    let inputs = fixture["inputs"].as_array().unwrap();
    assert!(inputs.len() >= 4);
    for input in inputs {
        let chip = Chip::from_image(&rgb(input["png"].as_str().unwrap())).expect("150x150");
        let ours = net.describe(&chip);
        let theirs = floats(&input["descriptor"]);
        let worst = ours
            .0
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{}: largest difference {worst}", input["name"]);
    }
}

#[test]
fn every_layer_agrees_with_dlib() {
    let fixture = json("descriptors.json");
    let name = fixture["intermediate_input"].as_str().unwrap();
    let input = fixture["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap();
    let chip = Chip::from_image(&rgb(input["png"].as_str().unwrap())).unwrap();
    let mut ours = Vec::new();
    FaceNet::builtin().trace(&chip, |_, map| {
        ours.push((
            vec![map.channels as u64, map.height as u64, map.width as u64],
            map.data.iter().map(|&v| v as f64).sum::<f64>(),
        ))
    });
    // dlib's dumps: the stem, the 14 blocks, the pool (and the descriptor, checked above).
    let theirs = fixture["intermediate"].as_array().unwrap();
    for ((shape, sum), layer) in ours.iter().zip(theirs) {
        let expected: Vec<u64> = layer["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(shape, &expected, "{}", layer["layer"]);
        let want = layer["sum"].as_f64().unwrap();
        assert!(
            (sum - want).abs() <= 1e-4 * want.abs().max(1.0),
            "{}: sum {sum} against dlib's {want}",
            layer["layer"]
        );
    }
}

fn points(v: &Value) -> Vec<Point> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| Point {
            x: p[0].as_f64().unwrap(),
            y: p[1].as_f64().unwrap(),
        })
        .collect()
}

#[test]
fn landmarks_equal_dlibs_on_its_boxes() {
    let fixture = json("landmarks.json");
    for face in fixture["faces"].as_array().unwrap() {
        let image = rgb(face["image_png"].as_str().unwrap());
        let grey = intensities(&image);
        let view = Intensities {
            width: image.width() as usize,
            height: image.height() as usize,
            pixels: &grey,
        };
        let r: Vec<i64> = face["rect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let found = ShapePredictor::builtin().predict(
            &view,
            FaceBox {
                left: r[0],
                top: r[1],
                right: r[2],
                bottom: r[3],
            },
        );
        let expected = points(&face["landmarks"]);
        for (ours, theirs) in found.iter().zip(&expected) {
            // Whole pixels, as dlib rounds them; a sample point landing on the other side of a
            // rounding edge may move one by a pixel.
            assert!(
                ours.distance(*theirs) <= 1.0,
                "{}: {found:?} against {expected:?}",
                face["name"]
            );
        }
    }
}

#[test]
fn aligned_chips_equal_dlibs() {
    let fixture = json("landmarks.json");
    let net = FaceNet::builtin();
    for face in fixture["faces"].as_array().unwrap() {
        let image = rgb(face["image_png"].as_str().unwrap());
        let landmarks: [Point; 5] = points(&face["landmarks"]).try_into().unwrap();
        let ours = align(&image, &landmarks);
        let theirs = rgb(face["chip_png"].as_str().unwrap());
        // Including the pyramid (the 2x crop's face is over twice the chip) and the black
        // outside the image (the face cut by the edge).
        let differing = ours.rgb().iter().zip(theirs.as_raw()).filter(|(a, b)| a != b).count();
        assert_eq!(
            differing, 0,
            "{}: {differing} bytes differ from dlib's chip",
            face["name"]
        );
        let descriptor = verity_faces::Descriptor(floats(&face["descriptor"]).try_into().unwrap());
        let d = net.describe(&ours).distance(&descriptor);
        assert!(d < 1e-3, "{}: {d} from dlib's descriptor", face["name"]);
    }
}

#[test]
fn the_whole_pipeline_agrees_with_dlibs_detector_and_landmarks() {
    let fixture = json("landmarks.json");
    for face in fixture["faces"].as_array().unwrap() {
        let name = face["name"].as_str().unwrap();
        let image = rgb(face["image_png"].as_str().unwrap());
        let scan = verity_faces::scan(&image, verity_faces::Photo::Document).expect("a detector is built in");
        let theirs = verity_faces::Descriptor(floats(&face["descriptor"]).try_into().unwrap());
        let Some(ours) = scan.faces.first() else {
            // The SeetaFace cascade misses faces cut by the image's edge, as dlib's HOG does
            // without upsampling.
            assert!(name.contains("edge"), "{name}: no face found");
            continue;
        };
        let d = ours.descriptor.distance(&theirs);
        assert!(d < 0.1, "{name}: {d} from dlib's pipeline");
    }
}
