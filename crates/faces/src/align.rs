//! The aligned face chip: the similarity transform that puts the five landmarks on dlib's 5-point
//! template (padding 0.25, 150 pixels), sampled as dlib samples it: a face much larger than the
//! chip goes down dlib's image pyramid first, so that the chip does not alias; points that fall
//! outside the image are black.

use image::RgbImage;

use crate::geometry::{Point, Similarity};
use crate::landmarks::Landmarks;
use crate::network::CHIP_SIZE;

/// dlib's `get_face_chip_details` padding for the face-recognition network.
pub const PADDING: f64 = 0.25;

/// dlib's mean positions of the five landmarks in the unit face square.
const TEMPLATE: [(f64, f64); 5] = [
    (0.8595674595992, 0.2134981538014),
    (0.6460604764104, 0.2289674387677),
    (0.1205750620789, 0.2137274526848),
    (0.3340850613712, 0.2290642403242),
    (0.4901123135679, 0.6277975316475),
];

/// A 150x150 RGB face chip, the network's input.
#[derive(Clone)]
pub struct Chip {
    rgb: Vec<u8>,
}

impl Chip {
    /// A chip from an image already 150x150 (`None` otherwise).
    pub fn from_image(image: &RgbImage) -> Option<Chip> {
        (image.width() as usize == CHIP_SIZE && image.height() as usize == CHIP_SIZE).then(|| Chip {
            rgb: image.as_raw().clone(),
        })
    }

    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    pub fn to_image(&self) -> RgbImage {
        RgbImage::from_raw(CHIP_SIZE as u32, CHIP_SIZE as u32, self.rgb.clone()).unwrap_or_default()
    }
}

/// The template's points in chip pixels.
fn template_points() -> Vec<Point> {
    TEMPLATE
        .iter()
        .map(|&(x, y)| Point {
            x: (PADDING + x) / (2.0 * PADDING + 1.0) * CHIP_SIZE as f64,
            y: (PADDING + y) / (2.0 * PADDING + 1.0) * CHIP_SIZE as f64,
        })
        .collect()
}

/// A rectangle with real bounds, inclusive as dlib's `drectangle` (its width is `right - left + 1`).
#[derive(Clone, Copy, Debug)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Rect {
    fn area(&self) -> f64 {
        if self.left > self.right || self.top > self.bottom {
            return 0.0;
        }
        (self.right - self.left + 1.0) * (self.bottom - self.top + 1.0)
    }

    fn centre(&self) -> Point {
        Point {
            x: (self.left + self.right) / 2.0,
            y: (self.top + self.bottom) / 2.0,
        }
    }

    /// dlib's `pyramid_down<2>::rect_down`: each corner to `p / 2 - (1.25, 0.75)`.
    fn down(&self) -> Rect {
        Rect {
            left: self.left / 2.0 - 1.25,
            top: self.top / 2.0 - 0.75,
            right: self.right / 2.0 - 1.25,
            bottom: self.bottom / 2.0 - 0.75,
        }
    }

    fn translate(&self, dx: f64, dy: f64) -> Rect {
        Rect {
            left: self.left + dx,
            top: self.top + dy,
            right: self.right + dx,
            bottom: self.bottom + dy,
        }
    }

    /// The corners turned by `angle` about the centre: top-left, top-right, bottom-left, bottom-right.
    fn turned(&self, angle: f64) -> [Point; 4] {
        let c = self.centre();
        let (sin, cos) = angle.sin_cos();
        let turn = |x: f64, y: f64| Point {
            x: c.x + cos * (x - c.x) - sin * (y - c.y),
            y: c.y + sin * (x - c.x) + cos * (y - c.y),
        };
        [
            turn(self.left, self.top),
            turn(self.right, self.top),
            turn(self.left, self.bottom),
            turn(self.right, self.bottom),
        ]
    }
}

/// Cuts the aligned chip of the face whose landmarks are `landmarks` out of `image`, as dlib's
/// `extract_image_chip(img, get_face_chip_details(shape, 150, 0.25))` does, pixel for pixel:
/// the chip's square (one pixel short of 150 x scale, dlib's `centered_drect`), the region
/// around it, dlib's 5-tap image pyramid while the square is more than twice the chip, and
/// bilinear sampling that truncates.
pub fn align(image: &RgbImage, landmarks: &Landmarks) -> Chip {
    let to_image = Similarity::fit(&template_points(), landmarks);
    let (scale, angle) = (to_image.scale(), to_image.angle());
    let side = CHIP_SIZE as f64;
    let centre = to_image.apply(Point {
        x: side / 2.0,
        y: side / 2.0,
    });
    let half = (side * scale - 1.0) / 2.0;
    let square = Rect {
        left: centre.x - half,
        top: centre.y - half,
        right: centre.x + half,
        bottom: centre.y + half,
    };
    let chip_area = side * side;

    // The region the chip draws from: the turned square, grown by a margin that doubles (plus
    // two) with each pyramid level, inside the image, rounded to whole pixels.
    let mut grow = 2.0;
    let mut r = square.down();
    while r.area() > chip_area {
        r = r.down();
        grow = grow * 2.0 + 2.0;
    }
    let corners = square.turned(angle);
    let (mut l, mut t, mut rt, mut b) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in corners {
        l = l.min(p.x);
        t = t.min(p.y);
        rt = rt.max(p.x);
        b = b.max(p.y);
    }
    let round = |v: f64| (v + 0.5).floor() as i64;
    let region = (
        round((l - grow).max(0.0)),
        round((t - grow).max(0.0)),
        round((rt + grow).min(image.width() as f64 - 1.0)),
        round((b + grow).min(image.height() as f64 - 1.0)),
    );
    let mut rgb = vec![0u8; CHIP_SIZE * CHIP_SIZE * 3];
    if region.0 > region.2 || region.1 > region.3 {
        return Chip { rgb };
    }
    let mut level = image::imageops::crop_imm(
        image,
        region.0 as u32,
        region.1 as u32,
        (region.2 - region.0 + 1) as u32,
        (region.3 - region.1 + 1) as u32,
    )
    .to_image();
    let mut rect = square.translate(-region.0 as f64, -region.1 as f64);
    while rect.down().area() > chip_area {
        level = pyramid_down(&level);
        rect = rect.down();
    }
    let [tl, tr, bl, _] = rect.turned(angle);
    let last = (CHIP_SIZE - 1) as f64;
    for y in 0..CHIP_SIZE {
        for x in 0..CHIP_SIZE {
            let (u, v) = (x as f64 / last, y as f64 / last);
            let p = Point {
                x: tl.x + u * (tr.x - tl.x) + v * (bl.x - tl.x),
                y: tl.y + u * (tr.y - tl.y) + v * (bl.y - tl.y),
            };
            if let Some(px) = bilinear(&level, p) {
                rgb[(y * CHIP_SIZE + x) * 3..][..3].copy_from_slice(&px);
            }
        }
    }
    Chip { rgb }
}

/// dlib's `pyramid_down<2>` on RGB: a [1 4 6 4 1] filter across, then down, keeping every other
/// pixel from the third; `(n - 3) / 2` pixels a side; integer arithmetic, truncated.
fn pyramid_down(image: &RgbImage) -> RgbImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w <= 8 || h <= 8 {
        return RgbImage::new(0, 0);
    }
    let (out_w, out_h) = ((w - 3) / 2, (h - 3) / 2);
    let src = image.as_raw();
    let mut across = vec![[0u32; 3]; h * out_w];
    for y in 0..h {
        for x in 0..out_w {
            let mut sum = [0u32; 3];
            for (k, weight) in [1, 4, 6, 4, 1].into_iter().enumerate() {
                let p = &src[(y * w + 2 * x + k) * 3..][..3];
                for c in 0..3 {
                    sum[c] += weight * p[c] as u32;
                }
            }
            across[y * out_w + x] = sum;
        }
    }
    let mut out = RgbImage::new(out_w as u32, out_h as u32);
    for (row, y) in (2..h - 2).step_by(2).enumerate().take(out_h) {
        for x in 0..out_w {
            let mut sum = [0u32; 3];
            for (k, weight) in [1, 4, 6, 4, 1].into_iter().enumerate() {
                let v = across[(y + k - 2) * out_w + x];
                for c in 0..3 {
                    sum[c] += weight * v[c];
                }
            }
            out.put_pixel(
                x as u32,
                row as u32,
                image::Rgb([(sum[0] / 256) as u8, (sum[1] / 256) as u8, (sum[2] / 256) as u8]),
            );
        }
    }
    out
}

/// dlib's `interpolate_bilinear`: `None` unless the four neighbours are inside the image.
fn bilinear(image: &RgbImage, p: Point) -> Option<[u8; 3]> {
    let (left, top) = (p.x.floor(), p.y.floor());
    if left < 0.0 || top < 0.0 || left + 1.0 >= image.width() as f64 || top + 1.0 >= image.height() as f64 {
        return None;
    }
    let (fx, fy) = (p.x - left, p.y - top);
    let (l, t) = (left as u32, top as u32);
    let px = |x: u32, y: u32| image.get_pixel(x, y).0;
    let (a, b, c, d) = (px(l, t), px(l + 1, t), px(l, t + 1), px(l + 1, t + 1));
    let mut out = [0u8; 3];
    for i in 0..3 {
        let v = (1.0 - fy) * ((1.0 - fx) * a[i] as f64 + fx * b[i] as f64)
            + fy * ((1.0 - fx) * c[i] as f64 + fx * d[i] as f64);
        // dlib truncates.
        out[i] = v.clamp(0.0, 255.0) as u8;
    }
    Some(out)
}
