//! Generated sample documents for sandbox sessions, so a developer can click through the flow
//! without a real identity document. They are plain drawings, clearly not documents.

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

fn fill(img: &mut RgbImage, x0: u32, y0: u32, w: u32, h: u32, colour: [u8; 3]) {
    for y in y0..(y0 + h).min(img.height()) {
        for x in x0..(x0 + w).min(img.width()) {
            img.put_pixel(x, y, Rgb(colour));
        }
    }
}

fn ellipse(img: &mut RgbImage, cx: f32, cy: f32, rx: f32, ry: f32, colour: [u8; 3]) {
    for y in 0..img.height() {
        for x in 0..img.width() {
            let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
            if dx * dx + dy * dy <= 1.0 {
                img.put_pixel(x, y, Rgb(colour));
            }
        }
    }
}

fn png(img: RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding an in-memory RGB image to PNG cannot fail.
    let _ = DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png);
    out
}

/// A card-shaped specimen: `side` 0 is the front (portrait and lines), 1 the back (bars).
pub fn document(side: u8) -> Vec<u8> {
    let mut img = RgbImage::from_pixel(1000, 630, Rgb([214, 226, 240]));
    fill(&mut img, 0, 0, 1000, 70, [30, 64, 175]);
    if side == 0 {
        fill(&mut img, 50, 120, 260, 330, [160, 174, 192]);
        ellipse(&mut img, 180.0, 240.0, 70.0, 90.0, [230, 200, 170]);
        for (i, w) in [520, 440, 480, 300, 360].iter().enumerate() {
            fill(&mut img, 350, 130 + i as u32 * 60, *w, 28, [55, 65, 81]);
        }
    } else {
        for i in 0..3 {
            fill(&mut img, 50, 470 + i * 45, 900, 26, [17, 24, 39]);
        }
        fill(&mut img, 50, 120, 420, 260, [148, 163, 184]);
    }
    png(img)
}

/// A face-like drawing for the selfie step.
pub fn selfie() -> Vec<u8> {
    let mut img = RgbImage::from_pixel(720, 960, Rgb([203, 213, 225]));
    ellipse(&mut img, 360.0, 430.0, 190.0, 250.0, [234, 196, 160]);
    ellipse(&mut img, 290.0, 380.0, 22.0, 14.0, [31, 41, 55]);
    ellipse(&mut img, 430.0, 380.0, 22.0, 14.0, [31, 41, 55]);
    fill(&mut img, 300, 540, 120, 16, [153, 27, 27]);
    png(img)
}
