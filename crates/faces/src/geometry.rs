//! Points and the least-squares similarity transform (rotation, uniform scale, translation)
//! between two point sets: the closed form of Umeyama's estimate in the plane.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    /// dlib's conversion to a pixel: `floor(v + 0.5)`.
    pub(crate) fn rounded(self) -> (i64, i64) {
        ((self.x + 0.5).floor() as i64, (self.y + 0.5).floor() as i64)
    }

    pub fn distance(self, other: Point) -> f64 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }
}

/// `p -> [a -b; b a] p + (tx, ty)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Similarity {
    pub(crate) a: f64,
    pub(crate) b: f64,
    pub(crate) tx: f64,
    pub(crate) ty: f64,
}

impl Similarity {
    /// The similarity that best maps `from` onto `to` (least squares, no reflection).
    pub(crate) fn fit(from: &[Point], to: &[Point]) -> Similarity {
        let n = from.len().max(1) as f64;
        let mean = |ps: &[Point]| {
            let (sx, sy) = ps.iter().fold((0.0, 0.0), |(x, y), p| (x + p.x, y + p.y));
            Point { x: sx / n, y: sy / n }
        };
        let (mf, mt) = (mean(from), mean(to));
        let (mut dot, mut cross, mut norm) = (0.0, 0.0, 0.0);
        for (f, t) in from.iter().zip(to) {
            let (fx, fy, tx, ty) = (f.x - mf.x, f.y - mf.y, t.x - mt.x, t.y - mt.y);
            dot += fx * tx + fy * ty;
            cross += fx * ty - fy * tx;
            norm += fx * fx + fy * fy;
        }
        let (a, b) = if norm > 0.0 {
            (dot / norm, cross / norm)
        } else {
            (1.0, 0.0)
        };
        Similarity {
            a,
            b,
            tx: mt.x - (a * mf.x - b * mf.y),
            ty: mt.y - (b * mf.x + a * mf.y),
        }
    }

    pub(crate) fn apply(&self, p: Point) -> Point {
        Point {
            x: self.a * p.x - self.b * p.y + self.tx,
            y: self.b * p.x + self.a * p.y + self.ty,
        }
    }

    /// The linear part as f32, row-major (dlib casts it so in the shape predictor).
    pub(crate) fn linear_f32(&self) -> [f32; 4] {
        [self.a as f32, -self.b as f32, self.b as f32, self.a as f32]
    }

    pub(crate) fn scale(&self) -> f64 {
        (self.a * self.a + self.b * self.b).sqrt()
    }

    pub(crate) fn angle(&self) -> f64 {
        self.b.atan2(self.a)
    }
}
