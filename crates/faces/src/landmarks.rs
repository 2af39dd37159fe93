//! dlib's 5-point face landmarks (`shape_predictor_5_face_landmarks`, Davis King, CC0): a cascade
//! of regression-tree ensembles (Kazemi and Sullivan, 2014). Each stage samples pixel intensities
//! at points placed relative to the current shape estimate, walks its trees on intensity
//! differences and adds their leaves to the shape. Same arithmetic as dlib's `shape_predictor`:
//! intensities are `(r + g + b) / 3`, sample points are rounded to the nearest pixel, points
//! outside the image read 0, and the landmarks are rounded to whole pixels at the end.

use std::sync::OnceLock;

use crate::geometry::{Point, Similarity};
use crate::weights::{Cursor, WeightsError};

static WEIGHTS: &[u8] = include_bytes!("../assets/shape_predictor_5.bin");

/// A face box in dlib's convention: inclusive pixel bounds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct FaceBox {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
}

impl FaceBox {
    pub fn width(&self) -> i64 {
        self.right - self.left + 1
    }

    pub fn height(&self) -> i64 {
        self.bottom - self.top + 1
    }

    /// dlib's `unnormalizing_tform`: (0,0) to the top-left corner, (1,1) to the bottom-right one.
    fn unnormalize(&self, p: Point) -> Point {
        Point {
            x: self.left as f64 + p.x * (self.right - self.left) as f64,
            y: self.top as f64 + p.y * (self.bottom - self.top) as f64,
        }
    }
}

/// The five landmarks, in dlib's order: the outer and inner corner of the eye on the image's
/// left (the person's left eye), the outer and inner corner of the other eye, and the base of the
/// nose.
pub type Landmarks = [Point; 5];

/// A grey image as the shape predictor reads it.
pub struct Intensities<'a> {
    pub width: usize,
    pub height: usize,
    pub pixels: &'a [u8],
}

impl Intensities<'_> {
    fn at(&self, x: i64, y: i64) -> f32 {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            0.0
        } else {
            self.pixels[y as usize * self.width + x as usize] as f32
        }
    }
}

/// dlib's grey level of an RGB pixel: the integer mean of the three channels.
pub fn intensities(image: &image::RgbImage) -> Vec<u8> {
    image
        .pixels()
        .map(|p| ((p[0] as u32 + p[1] as u32 + p[2] as u32) / 3) as u8)
        .collect()
}

struct Tree {
    /// (first feature, second feature, threshold), breadth first.
    splits: Vec<(usize, usize, f32)>,
    /// One shape increment (2 x parts values) per leaf.
    leaves: Vec<f32>,
}

struct Cascade {
    anchors: Vec<usize>,
    deltas: Vec<Point>,
    trees: Vec<Tree>,
}

pub struct ShapePredictor {
    parts: usize,
    /// The mean shape in the box's unit square, x0, y0, x1, y1, ...
    initial: Vec<f32>,
    cascades: Vec<Cascade>,
}

impl ShapePredictor {
    /// Parses a `VRTYSP01` file (see `assets/FORMAT.md`).
    pub fn from_bytes(bytes: &[u8]) -> Result<ShapePredictor, WeightsError> {
        let mut c = Cursor::new(bytes, "VRTYSP01")?;
        let parts = c.u32()?;
        let initial = c.f32s(2 * parts)?;
        let mut cascades = Vec::new();
        for _ in 0..c.u32()? {
            let features = c.u32()?;
            let anchors = (0..features).map(|_| c.u32()).collect::<Result<Vec<_>, _>>()?;
            if anchors.iter().any(|&a| a >= parts) {
                return Err(WeightsError::Truncated);
            }
            let deltas = c
                .f32s(2 * features)?
                .chunks_exact(2)
                .map(|d| Point {
                    x: d[0] as f64,
                    y: d[1] as f64,
                })
                .collect();
            let mut trees = Vec::new();
            for _ in 0..c.u32()? {
                let mut splits = Vec::new();
                for _ in 0..c.u32()? {
                    let (a, b, t) = (c.u32()?, c.u32()?, c.f32()?);
                    if a >= features || b >= features {
                        return Err(WeightsError::Truncated);
                    }
                    splits.push((a, b, t));
                }
                let leaves_count = c.u32()?;
                if leaves_count != splits.len() + 1 {
                    return Err(WeightsError::Truncated);
                }
                let leaves = c.f32s(leaves_count * 2 * parts)?;
                trees.push(Tree { splits, leaves });
            }
            cascades.push(Cascade { anchors, deltas, trees });
        }
        Ok(ShapePredictor {
            parts,
            initial,
            cascades,
        })
    }

    /// The predictor with the bundled model (parsed once).
    pub fn builtin() -> &'static ShapePredictor {
        static MODEL: OnceLock<ShapePredictor> = OnceLock::new();
        // The bundled file is checked by this crate's tests; failing to parse it is a build defect.
        MODEL.get_or_init(|| ShapePredictor::from_bytes(WEIGHTS).expect("the bundled shape_predictor_5.bin parses"))
    }

    /// The box, in the convention the model was trained on, whose mean shape best fits
    /// `landmarks` (a least-squares square box). Running the predictor again on it makes the
    /// landmarks independent of the face detector's own box convention.
    pub fn box_for(&self, landmarks: &Landmarks) -> FaceBox {
        let n = self.parts as f64;
        let (mut mu, mut mv, mut mx, mut my) = (0.0, 0.0, 0.0, 0.0);
        for (i, p) in landmarks.iter().enumerate() {
            mu += self.initial[2 * i] as f64 / n;
            mv += self.initial[2 * i + 1] as f64 / n;
            mx += p.x / n;
            my += p.y / n;
        }
        let (mut num, mut den) = (0.0, 0.0);
        for (i, p) in landmarks.iter().enumerate() {
            let (du, dv) = (self.initial[2 * i] as f64 - mu, self.initial[2 * i + 1] as f64 - mv);
            num += du * (p.x - mx) + dv * (p.y - my);
            den += du * du + dv * dv;
        }
        let side = if den > 0.0 { num / den } else { 1.0 };
        let (left, top) = (mx - mu * side, my - mv * side);
        FaceBox {
            left: left.round() as i64,
            top: top.round() as i64,
            right: (left + side).round() as i64,
            bottom: (top + side).round() as i64,
        }
    }

    /// The five landmarks of the face in `face`, in image pixels.
    pub fn predict(&self, image: &Intensities, face: FaceBox) -> Landmarks {
        debug_assert_eq!(self.parts, 5);
        let mut shape = self.initial.clone();
        let mut features = Vec::new();
        for cascade in &self.cascades {
            // Where the mean shape's sample points fall on the current shape.
            let tform = Similarity::fit(&points(&self.initial), &points(&shape)).linear_f32();
            features.clear();
            features.extend(cascade.anchors.iter().zip(&cascade.deltas).map(|(&anchor, d)| {
                let (dx, dy) = (d.x as f32, d.y as f32);
                let moved = Point {
                    x: (tform[0] * dx + tform[1] * dy + shape[2 * anchor]) as f64,
                    y: (tform[2] * dx + tform[3] * dy + shape[2 * anchor + 1]) as f64,
                };
                let p = face.unnormalize(moved).rounded();
                image.at(p.0, p.1)
            }));
            for tree in &cascade.trees {
                let mut i = 0;
                while i < tree.splits.len() {
                    let (a, b, thresh) = tree.splits[i];
                    i = if features[a] - features[b] > thresh {
                        2 * i + 1
                    } else {
                        2 * i + 2
                    };
                }
                let leaf = &tree.leaves[(i - tree.splits.len()) * 2 * self.parts..][..2 * self.parts];
                for (s, v) in shape.iter_mut().zip(leaf) {
                    *s += v;
                }
            }
        }
        let mut out = [Point { x: 0.0, y: 0.0 }; 5];
        for (i, o) in out.iter_mut().enumerate() {
            let (x, y) = face
                .unnormalize(Point {
                    x: shape[2 * i] as f64,
                    y: shape[2 * i + 1] as f64,
                })
                .rounded();
            *o = Point {
                x: x as f64,
                y: y as f64,
            };
        }
        out
    }
}

fn points(shape: &[f32]) -> Vec<Point> {
    shape
        .chunks_exact(2)
        .map(|p| Point {
            x: p[0] as f64,
            y: p[1] as f64,
        })
        .collect()
}
