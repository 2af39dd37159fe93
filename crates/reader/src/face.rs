//! Face detection: finds frontal faces with the SeetaFace cascade (the pure-Rust `rustface` port)
//! and its bundled model, `assets/seeta_fd_frontal_v1.0.bin` (BSD-2-Clause, see
//! `assets/SEETAFACE-LICENSE.txt`). Only with the `faces` feature; without it [`detect`] answers
//! `None`, which means "not checked", never "no face".

use serde::Serialize;

use crate::Gray;

/// A face found in an image, in the image's pixel coordinates (clipped to the image).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Face {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The cascade's score: 2 or more counts as a face (the test portrait scores 20 to 27).
    pub score: f64,
}

/// Images with a side shorter than this are not searched (there is no room for a face).
const MIN_SIDE: usize = 24;

/// Finds the faces in `image`, best score first.
///
/// `None` when built without the `faces` feature (the caller must report "not checked", never
/// "no face"), or if the detector failed.
pub fn detect(image: &Gray) -> Option<Vec<Face>> {
    detect_from(image, None)
}

/// [`detect`], looking only for faces at least `smallest` of the image's long side (and 20
/// pixels) wide: much faster on large photos, for callers that have no use for small faces (a
/// face match needs detail a small face does not carry).
/// The smallest face [`detect_large`] looks for, in pixels, whatever share of the image is asked:
/// in a small image, asking for smaller faces changes nothing.
pub const SMALLEST_FACE: usize = 20;

/// The smallest face worth looking for on a photo of a document, as a share of its long side:
/// a document's portrait is about a fifth of the card's width, so 6% is a card filling under a
/// third of the frame, whose portrait is too small to compare.
pub const DOCUMENT_FACE_SHARE: f64 = 0.06;
/// ... and on a selfie: the face spans a third of the frame or more; 12% leaves room for a
/// step back.
pub const SELFIE_FACE_SHARE: f64 = 0.12;

pub fn detect_large(image: &Gray, smallest: f64) -> Option<Vec<Face>> {
    detect_from(image, Some(smallest))
}

fn detect_from(image: &Gray, smallest: Option<f64>) -> Option<Vec<Face>> {
    if image.width < MIN_SIDE || image.height < MIN_SIDE {
        return if cfg!(feature = "faces") {
            Some(Vec::new())
        } else {
            None
        };
    }
    #[cfg(feature = "faces")]
    {
        seeta::detect(image, smallest)
    }
    #[cfg(not(feature = "faces"))]
    {
        let _ = smallest;
        None
    }
}

#[cfg(feature = "faces")]
mod seeta {
    use std::borrow::Cow;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::OnceLock;

    use rustface::{ImageData, Model};

    use super::Face;
    use crate::Gray;

    static MODEL_BYTES: &[u8] = include_bytes!("../assets/seeta_fd_frontal_v1.0.bin");

    /// Longest side of the reduced copy faces are searched in.
    const WORK_SIDE: usize = 640;
    /// Smallest face searched for, in pixels of the reduced copy.
    const MIN_FACE: usize = super::SMALLEST_FACE;
    /// rustface's sliding window: the smallest face it sees in the image it is given.
    const WINDOW: usize = 40;
    /// Ratio between the levels of rustface's image pyramid.
    const PYRAMID_STEP: f32 = 0.8;
    const SCORE_THRESHOLD: f64 = 2.0;

    fn model() -> Option<&'static Model> {
        static MODEL: OnceLock<Option<Model>> = OnceLock::new();
        MODEL.get_or_init(|| rustface::read_model(MODEL_BYTES).ok()).as_ref()
    }

    pub(super) fn detect(image: &Gray, smallest: Option<f64>) -> Option<Vec<Face>> {
        let model = model()?;
        // rustface never enlarges (its pyramid starts at 1:1), so the smallest face it finds is its
        // 40-pixel window: to find 20-pixel faces in the reduced copy, search a copy twice its size,
        // made straight from the original so that it keeps what detail there is. Given the
        // smallest face wanted, search the copy in which that face is the window.
        let long = image.width.max(image.height);
        let work_long = match smallest {
            None => long.min(WORK_SIDE) * WINDOW / MIN_FACE,
            Some(fraction) => {
                let face = (fraction * long as f64).max(MIN_FACE as f64);
                ((long as f64 * WINDOW as f64 / face).round() as usize).max(WINDOW)
            }
        };
        let work = resize(image, work_long as f64 / long as f64);
        let (w, h) = (work.width as u32, work.height as u32);
        let mut detector = rustface::create_detector_with_model(model.clone());
        detector.set_min_face_size(MIN_FACE as u32);
        detector.set_max_face_size(safe_max_face(w, h));
        detector.set_score_thresh(SCORE_THRESHOLD);
        detector.set_pyramid_scale_factor(PYRAMID_STEP);
        detector.set_slide_window_step(4, 4);
        // The crate asserts and indexes freely: a panic there means "not checked", not a crash.
        let found = catch_unwind(AssertUnwindSafe(|| {
            detector.detect(&ImageData::new(&work.pixels, w, h))
        }))
        .ok()?;
        let sx = image.width as f64 / work.width as f64;
        let sy = image.height as f64 / work.height as f64;
        let mut faces: Vec<Face> = found
            .iter()
            .filter_map(|info| {
                let b = info.bbox();
                let clip = |v: f64, max: usize| v.round().clamp(0.0, max as f64) as u32;
                let x0 = clip(b.x() as f64 * sx, image.width);
                let y0 = clip(b.y() as f64 * sy, image.height);
                let x1 = clip((b.x() as f64 + b.width() as f64) * sx, image.width);
                let y1 = clip((b.y() as f64 + b.height() as f64) * sy, image.height);
                (x1 > x0 && y1 > y0).then(|| Face {
                    x: x0,
                    y: y0,
                    width: x1 - x0,
                    height: y1 - y0,
                    score: info.score(),
                })
            })
            .collect();
        faces.sort_by(|a, b| b.score.total_cmp(&a.score));
        Some(faces)
    }

    /// The largest face size to give rustface so that no level of its pyramid is smaller than its
    /// window: it subtracts the window from each level's size in unsigned arithmetic, and its
    /// float rounding could let through a level one pixel short. Mirrors its arithmetic exactly.
    fn safe_max_face(width: u32, height: u32) -> u32 {
        let fits = |max_face: u32| {
            let min_scale = WINDOW as f32 / width.min(height).min(max_face) as f32;
            let mut scale = 1.0f32;
            while scale >= min_scale {
                if ((width as f32 * scale) as u32) < WINDOW as u32 || ((height as f32 * scale) as u32) < WINDOW as u32 {
                    return false;
                }
                scale *= PYRAMID_STEP;
            }
            true
        };
        let mut max_face = width.min(height);
        while max_face > WINDOW as u32 && !fits(max_face) {
            max_face -= 1;
        }
        max_face
    }

    /// Resizes by `scale`: whole-factor reductions average blocks, the rest is bilinear.
    fn resize(image: &Gray, scale: f64) -> Gray {
        let target_w = ((image.width as f64 * scale).round() as usize).max(1);
        let target_h = ((image.height as f64 * scale).round() as usize).max(1);
        if target_w == image.width && target_h == image.height {
            return image.clone();
        }
        let factor = (image.width / target_w).min(image.height / target_h).max(1);
        let source = if factor > 1 {
            Cow::Owned(image.shrink(factor))
        } else {
            Cow::Borrowed(image)
        };
        if target_w == source.width && target_h == source.height {
            return source.into_owned();
        }
        let fx = source.width as f32 / target_w as f32;
        let fy = source.height as f32 / target_h as f32;
        let mut pixels = Vec::with_capacity(target_w * target_h);
        for y in 0..target_h {
            let sy = (y as f32 + 0.5) * fy - 0.5;
            for x in 0..target_w {
                pixels.push(source.sample((x as f32 + 0.5) * fx - 0.5, sy).round() as u8);
            }
        }
        Gray::new(target_w, target_h, pixels)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn face_pyramid_never_smaller_than_the_window() {
            for w in 40..400u32 {
                for h in [40, 41, 49, 50, 51, 62, 63, 78, 97, 122, 152, 190, 238, 297, 371] {
                    for (a, b) in [(w, h), (h, w)] {
                        let max_face = safe_max_face(a, b);
                        let min_scale = WINDOW as f32 / a.min(b).min(max_face) as f32;
                        let mut scale = 1.0f32;
                        while scale >= min_scale {
                            assert!(
                                (a as f32 * scale) as u32 >= 40 && (b as f32 * scale) as u32 >= 40,
                                "{a}x{b}"
                            );
                            scale *= PYRAMID_STEP;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(all(test, feature = "faces"))]
mod tests {
    use std::time::Instant;

    use super::*;

    fn portrait() -> Gray {
        let image = image::load_from_memory(include_bytes!("../../corpus/assets/portrait.png")).expect("portrait");
        Gray::from_image(&image)
    }

    fn timed(label: &str, image: &Gray) -> Vec<Face> {
        detect(image); // The first call parses the model.
        let start = Instant::now();
        let faces = detect(image).expect("built with faces");
        eprintln!(
            "face: {label} {}x{}: {:.1} ms, {faces:?}",
            image.width,
            image.height,
            start.elapsed().as_secs_f64() * 1000.0
        );
        faces
    }

    /// A 640x480 grey canvas.
    fn canvas() -> Gray {
        Gray::new(640, 480, vec![128; 640 * 480])
    }

    #[test]
    fn face_found_in_the_portrait() {
        let image = portrait();
        let faces = timed("portrait", &image);
        assert_eq!(faces.len(), 1, "{faces:?}");
        let face = &faces[0];
        let (cx, cy) = (face.x + face.width / 2, face.y + face.height / 2);
        assert!((50..150).contains(&cx) && (50..150).contains(&cy), "{face:?}");
        assert!(
            (60..160).contains(&face.width) && (60..160).contains(&face.height),
            "{face:?}"
        );
        assert!(face.score > 2.0);
    }

    #[test]
    fn face_found_when_small_in_a_large_image() {
        let small = image::imageops::resize(
            &image::load_from_memory(include_bytes!("../../corpus/assets/portrait.png"))
                .expect("portrait")
                .to_luma8(),
            80,
            100,
            image::imageops::FilterType::Triangle,
        );
        let mut image = canvas();
        let (left, top) = (300, 200);
        for (x, y, p) in small.enumerate_pixels() {
            image.pixels[(top + y as usize) * image.width + left + x as usize] = p.0[0];
        }
        let faces = timed("small portrait", &image);
        assert!(!faces.is_empty());
        let face = &faces[0];
        let (cx, cy) = (face.x + face.width / 2, face.y + face.height / 2);
        assert!((left as u32..left as u32 + 80).contains(&cx), "{face:?}");
        assert!((top as u32..top as u32 + 100).contains(&cy), "{face:?}");
    }

    #[test]
    fn face_found_in_a_large_photo() {
        // The portrait enlarged 8 times, as in a high-resolution photo: searched in a reduced copy.
        let small = portrait();
        let mut image = Gray::new(1600, 2000, vec![0; 1600 * 2000]);
        for y in 0..image.height {
            for x in 0..image.width {
                image.pixels[y * image.width + x] = small.at(x / 8, y / 8);
            }
        }
        let faces = timed("portrait x8", &image);
        assert_eq!(faces.len(), 1, "{faces:?}");
        let face = &faces[0];
        let (cx, cy) = (face.x + face.width / 2, face.y + face.height / 2);
        assert!((400..1200).contains(&cx) && (400..1200).contains(&cy), "{face:?}");
    }

    #[test]
    fn face_none_in_plain_or_noise() {
        assert_eq!(timed("grey", &canvas()), Vec::new());
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let noise = (0..640 * 480)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 56) as u8
            })
            .collect();
        assert_eq!(timed("noise", &Gray::new(640, 480, noise)), Vec::new());
    }

    #[test]
    fn face_tiny_images_are_empty() {
        assert_eq!(detect(&Gray::new(10, 10, vec![128; 100])), Some(Vec::new()));
        assert_eq!(detect(&Gray::new(1, 1, vec![0])), Some(Vec::new()));
        assert_eq!(detect(&Gray::new(0, 0, Vec::new())), Some(Vec::new()));
        for (w, h) in [
            (24, 24),
            (39, 300),
            (40, 40),
            (41, 57),
            (50, 50),
            (300, 24),
            (24, 5000),
            (5000, 30),
        ] {
            let image = Gray::new(w, h, (0..w * h).map(|i| (i * 37 % 251) as u8).collect());
            assert!(detect(&image).is_some(), "{w}x{h}");
        }
    }
}
