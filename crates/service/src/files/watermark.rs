//! The watermark on an image shown to staff: light, tiled, clear of the MRZ.

/// Share of a landscape image (an ID card, a passport's data page), from the bottom, that the
/// watermark leaves clear: the MRZ sits there.
const MRZ_BAND: f32 = 0.28;

/// The image with `mark` (the viewer's name, the time, what is viewed) tiled lightly across it,
/// as JPEG: small pale letters with a faint dark edge, legible on light and dark areas alike,
/// that leave the document readable and, on a landscape image, keep out of the MRZ band.
pub fn watermark(bytes: &[u8], mark: &str) -> Option<Vec<u8>> {
    let mut image = image::load_from_memory(bytes).ok()?.to_rgb8();
    let (w, h) = (image.width(), image.height());
    let cap = (h as f32 / 45.0).max(9.0);
    let stamp = Stamp::new(mark, cap);
    if stamp.width == 0 {
        return Some(verity_corpus::photo::jpeg(&image, 88));
    }
    // On a landscape image the bottom band (the MRZ) stays clear; otherwise the whole height.
    let bottom = if w > h {
        (h as f32 * (1.0 - MRZ_BAND)) as i64
    } else {
        i64::from(h)
    };
    let (tile_w, tile_h) = (i64::from(stamp.width), i64::from(stamp.height));
    let step_x = tile_w + (tile_w as f32 * 0.35).max(cap * 6.0) as i64;
    let step_y = (cap * 6.0) as i64;
    let mut top = (cap * 1.5) as i64;
    let mut row = 0;
    while top + tile_h <= bottom {
        // Staggered: every other row starts half a step to the left.
        let mut left = (cap * 2.0) as i64 - (row % 2) * step_x / 2;
        while left < i64::from(w) {
            stamp.blend(&mut image, left, top);
            left += step_x;
        }
        top += step_y;
        row += 1;
    }
    Some(verity_corpus::photo::jpeg(&image, 88))
}

/// The mark drawn once, as per-pixel blend factors: `out = (base * keep + add) / 256`.
struct Stamp {
    width: u32,
    height: u32,
    /// Row-major, `width * height`: what of the image is kept (0..=256) and what is added.
    keep: Vec<u16>,
    add: Vec<[u16; 3]>,
}

impl Stamp {
    /// Opacity of the pale letters and of their dark edge.
    const FILL: f32 = 0.30;
    const EDGE: f32 = 0.22;
    const FILL_INK: f32 = 245.0;
    const EDGE_INK: f32 = 40.0;

    fn new(mark: &str, cap: f32) -> Stamp {
        // The font is parsed once, not on every image view.
        static PAINTER: std::sync::OnceLock<verity_corpus::Painter> = std::sync::OnceLock::new();
        let painter = PAINTER.get_or_init(verity_corpus::Painter::new);
        let mark = &drawable(painter, mark);
        // White on black: the red channel is then the letters' coverage.
        let pad = 3.0;
        let canvas_w = (mark.chars().count() as f32 * cap * 1.3 + 2.0 * pad).ceil() as u32;
        let canvas_h = (cap * 1.8 + 2.0 * pad).ceil() as u32;
        let mut canvas = image::RgbImage::new(canvas_w.max(1), canvas_h);
        painter.text(&mut canvas, mark, pad, pad + cap * 1.25, cap, [255, 255, 255], None);
        let coverage = |x: i64, y: i64| -> u8 {
            if x < 0 || y < 0 || x >= i64::from(canvas.width()) || y >= i64::from(canvas.height()) {
                0
            } else {
                canvas.get_pixel(x as u32, y as u32).0[0]
            }
        };
        // The inked box, one pixel wider on every side for the edge.
        let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
        for (x, y, p) in canvas.enumerate_pixels() {
            if p.0[0] > 0 {
                (x0, y0) = (x0.min(i64::from(x)), y0.min(i64::from(y)));
                (x1, y1) = (x1.max(i64::from(x)), y1.max(i64::from(y)));
            }
        }
        if x0 > x1 {
            return Stamp {
                width: 0,
                height: 0,
                keep: Vec::new(),
                add: Vec::new(),
            };
        }
        let (x0, y0, x1, y1) = (x0 - 1, y0 - 1, x1 + 1, y1 + 1);
        let (width, height) = ((x1 - x0 + 1) as u32, (y1 - y0 + 1) as u32);
        let mut keep = Vec::with_capacity((width * height) as usize);
        let mut add = Vec::with_capacity((width * height) as usize);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let fill = f32::from(coverage(x, y)) / 255.0;
                let mut edge = 0u8;
                for (dx, dy) in [
                    (-1, -1),
                    (0, -1),
                    (1, -1),
                    (-1, 0),
                    (0, 0),
                    (1, 0),
                    (-1, 1),
                    (0, 1),
                    (1, 1),
                ] {
                    edge = edge.max(coverage(x + dx, y + dy));
                }
                let (fa, ea) = (fill * Self::FILL, f32::from(edge) / 255.0 * Self::EDGE);
                // The edge over the image, then the letters over both.
                let k = (1.0 - ea) * (1.0 - fa);
                let a = Self::EDGE_INK * ea * (1.0 - fa) + Self::FILL_INK * fa;
                keep.push((k * 256.0).round() as u16);
                add.push([(a * 256.0).round() as u16; 3]);
            }
        }
        Stamp {
            width,
            height,
            keep,
            add,
        }
    }

    /// Blends the stamp onto `image` with its top-left corner at (`left`, `top`), clipped.
    fn blend(&self, image: &mut image::RgbImage, left: i64, top: i64) {
        let (iw, ih) = (i64::from(image.width()), i64::from(image.height()));
        for ty in 0..i64::from(self.height) {
            let y = top + ty;
            if y < 0 || y >= ih {
                continue;
            }
            let x_start = left.max(0);
            let x_end = (left + i64::from(self.width)).min(iw);
            for x in x_start..x_end {
                let i = (ty * i64::from(self.width) + (x - left)) as usize;
                let keep = u32::from(self.keep[i]);
                if keep >= 256 {
                    continue;
                }
                let add = self.add[i];
                let p = image.get_pixel_mut(x as u32, y as u32);
                for (v, a) in p.0.iter_mut().zip(add) {
                    *v = ((u32::from(*v) * keep + u32::from(a)) / 256).min(255) as u8;
                }
            }
        }
    }
}

/// `mark` in characters the painter's font draws (it has ASCII but only some other letters):
/// a missing accented letter becomes its base letter, a missing middle dot a bar, anything else
/// missing `?`.
fn drawable(painter: &verity_corpus::Painter, mark: &str) -> String {
    let inked = |c: char| {
        let mut cell = image::RgbImage::new(24, 24);
        painter.text(
            &mut cell,
            c.encode_utf8(&mut [0; 4]),
            4.0,
            18.0,
            12.0,
            [255, 255, 255],
            None,
        );
        cell.pixels().any(|p| p.0[0] > 0)
    };
    mark.chars()
        .map(|c| match c {
            ' '..='~' => c,
            _ if c.is_whitespace() || c.is_control() => ' ',
            _ if inked(c) => c,
            '·' | '•' => '|',
            _ => latin_base(c).unwrap_or('?'),
        })
        .collect()
}

/// The base letter of an accented Latin letter (Latin-1 and Latin Extended-A), case kept.
pub(super) fn latin_base(c: char) -> Option<char> {
    let base = match c.to_lowercase().next()? {
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' | 'ŧ' => 't',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => return None,
    };
    Some(if c.is_uppercase() {
        base.to_ascii_uppercase()
    } else {
        base
    })
}

#[cfg(test)]
mod tests {

    use super::*;

    const MARK: &str = "Rita Reviewer · 2026-04-21 14:05 UTC · ses_01JT8W5";

    /// A landscape card-sized picture: a smooth gradient from dark (left) to light (right).
    fn card(w: u32, h: u32) -> image::RgbImage {
        image::RgbImage::from_fn(w, h, |x, y| {
            let v = (30.0 + 200.0 * x as f32 / w as f32) as u8;
            image::Rgb([v, v.saturating_add((y % 7) as u8), v])
        })
    }

    fn max_diff(a: &image::Rgb<u8>, b: &image::Rgb<u8>) -> u8 {
        a.0.iter().zip(b.0).map(|(x, y)| x.abs_diff(y)).max().unwrap_or(0)
    }

    #[test]
    fn image_watermark_is_light_tiled_and_keeps_out_of_the_mrz_band() {
        let (w, h) = (1012, 638);
        let original = card(w, h);
        let marked = watermark(&verity_corpus::photo::jpeg(&original, 95), MARK).expect("watermarked");
        let marked = image::load_from_memory(&marked).expect("a JPEG").to_rgb8();
        assert_eq!(marked.dimensions(), (w, h));
        // Below the band's edge (and a JPEG block of margin), nothing is marked.
        let band = (h as f32 * (1.0 - MRZ_BAND)) as u32 + 16;
        let (mut above, mut above_changed, mut below, mut below_changed, mut close, mut total_diff) =
            (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
        for (x, y, p) in marked.enumerate_pixels() {
            let d = max_diff(p, original.get_pixel(x, y));
            total_diff += u64::from(d);
            close += u64::from(d <= 24);
            if y >= band {
                below += 1;
                below_changed += u64::from(d > 24);
            } else if y < band - 32 {
                above += 1;
                above_changed += u64::from(d > 24);
            }
        }
        let pixels = u64::from(w * h);
        assert_eq!(below_changed, 0, "the MRZ band is left clear ({below} pixels)");
        assert!(
            above_changed * 100 > above,
            "the mark is tiled over the rest: {above_changed} of {above} pixels changed"
        );
        // Light: most of the picture is as it was, and the average change is small.
        assert!(
            close * 100 >= pixels * 92,
            "{close} of {pixels} pixels close to the original"
        );
        assert!(total_diff / pixels <= 6, "mean change {}", total_diff / pixels);
        // Tiled: marks in the left, middle and right thirds and in several rows.
        let rows_marked = (0..band - 32)
            .step_by(4)
            .filter(|&y| (0..w).any(|x| max_diff(marked.get_pixel(x, y), original.get_pixel(x, y)) > 24))
            .count();
        assert!(rows_marked >= 10, "{rows_marked} marked scan lines");
        for third in 0..3 {
            let xs = third * w / 3..(third + 1) * w / 3;
            let hit = xs
                .clone()
                .any(|x| (0..band - 32).any(|y| max_diff(marked.get_pixel(x, y), original.get_pixel(x, y)) > 24));
            assert!(hit, "the mark reaches the {third} third");
        }
    }

    #[test]
    fn image_watermark_shows_on_light_and_dark_areas_and_covers_portrait_pages_to_the_bottom() {
        let (w, h) = (600, 900);
        for shade in [15u8, 240] {
            let original = image::RgbImage::from_pixel(w, h, image::Rgb([shade; 3]));
            let marked = watermark(&verity_corpus::photo::jpeg(&original, 95), MARK).expect("watermarked");
            let marked = image::load_from_memory(&marked).expect("a JPEG").to_rgb8();
            let changed = |ys: std::ops::Range<u32>| {
                ys.flat_map(|y| (0..w).map(move |x| (x, y)))
                    .filter(|&(x, y)| max_diff(marked.get_pixel(x, y), original.get_pixel(x, y)) > 20)
                    .count()
            };
            assert!(changed(0..h / 2) > 500, "visible on shade {shade}");
            assert!(
                changed(h * 3 / 4..h) > 200,
                "a portrait page is marked to its bottom ({shade})"
            );
        }
        assert!(watermark(b"not an image", MARK).is_none());
    }

    /// A PDF of `pages` pages built with the library; resources on the page tree (inherited) and
    /// a font already named like the mark's.
    #[test]
    fn image_marks_use_letters_the_font_draws() {
        let painter = verity_corpus::Painter::new();
        assert_eq!(
            drawable(&painter, "Élodie Müller · 2026 · Łukasz 名\u{a0}x"),
            "Elodie Müller | 2026 | Lukasz ? x"
        );
    }
}
