//! Watermarks on what staff view: images (light, tiled, clear of the MRZ) and PDFs (a text layer
//! on every page).

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
fn latin_base(c: char) -> Option<char> {
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

/// Font size (points) of the mark on PDF pages.
const PDF_MARK_PT: f32 = 9.0;

/// The PDF with `mark` tiled lightly (grey Helvetica, 9 pt, at 35% opacity) over every page,
/// drawn after the page's own content; `None` when the PDF cannot be read or rewritten.
pub fn watermark_pdf(bytes: &[u8], mark: &str) -> Option<Vec<u8>> {
    use lopdf::{Dictionary, Document, Object, Stream, dictionary};

    let mut doc = Document::load_mem(bytes).ok()?;
    // An encrypted file would be written back with its strings in the clear under its /Encrypt.
    if doc.trailer.has(b"Encrypt") {
        return None;
    }
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    if pages.is_empty() {
        return None;
    }
    let font = doc
        .try_add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        })
        .ok()?;
    let state = doc
        .try_add_object(dictionary! { "Type" => "ExtGState", "ca" => 0.35, "CA" => 0.35 })
        .ok()?;
    // The page's own content is wrapped in q … Q so that whatever state it leaves (a transform,
    // a clip, a colour) does not move or hide the mark.
    let save = doc
        .try_add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()))
        .ok()?;
    let restore = doc
        .try_add_object(Stream::new(Dictionary::new(), b"\nQ\n".to_vec()))
        .ok()?;
    let text = pdf_string(mark);
    let text_width = helvetica_width(mark) * PDF_MARK_PT;

    for page in pages {
        let rotate = inherited(&doc, page, b"Rotate")
            .and_then(|o| o.as_float().ok())
            .map_or(0, |r| r as i64)
            .rem_euclid(360)
            / 90
            * 90;
        let bbox = inherited(&doc, page, b"CropBox")
            .and_then(|o| rectangle(&doc, o))
            .or_else(|| inherited(&doc, page, b"MediaBox").and_then(|o| rectangle(&doc, o)))
            .unwrap_or([0.0, 0.0, 612.0, 792.0]);

        // Fresh resources for this page: a copy of what it has or inherits, with the font and
        // the graphics state added under names it does not use yet. Shared dictionaries are
        // left as they are.
        let mut resources = inherited(&doc, page, b"Resources")
            .and_then(|o| o.as_dict().ok())
            .cloned()
            .unwrap_or_default();
        let font_name = add_resource(&doc, &mut resources, b"Font", b"VerityWm", font);
        let state_name = add_resource(&doc, &mut resources, b"ExtGState", b"VerityWm", state);

        let content = pdf_tiles(bbox, rotate, &text, text_width, &font_name, &state_name);
        let tiles = doc.try_add_object(Stream::new(Dictionary::new(), content)).ok()?;

        let mut contents: Vec<Object> = vec![Object::Reference(save)];
        match doc.get_dictionary(page).ok()?.get(b"Contents") {
            Ok(Object::Reference(id)) => match doc.get_object(*id) {
                Ok(Object::Array(items)) => contents.extend(items.iter().cloned()),
                _ => contents.push(Object::Reference(*id)),
            },
            Ok(Object::Array(items)) => contents.extend(items.iter().cloned()),
            _ => {}
        }
        contents.push(Object::Reference(restore));
        contents.push(Object::Reference(tiles));
        let dict = doc.get_object_mut(page).ok()?.as_dict_mut().ok()?;
        dict.set("Contents", contents);
        dict.set("Resources", resources);
    }
    let mut out = Vec::with_capacity(bytes.len() + 4096);
    doc.save_to(&mut out).ok()?;
    Some(out)
}

/// A page's own value of `key` or the nearest one up its page tree (Resources, MediaBox,
/// CropBox and Rotate are inheritable), references followed.
fn inherited<'a>(doc: &'a lopdf::Document, page: lopdf::ObjectId, key: &[u8]) -> Option<&'a lopdf::Object> {
    let mut node = doc.get_dictionary(page).ok()?;
    // A bounded walk: a malformed tree may loop.
    for _ in 0..64 {
        if let Ok(value) = node.get(key) {
            return doc.dereference(value).ok().map(|(_, o)| o);
        }
        let parent = node.get(b"Parent").and_then(lopdf::Object::as_reference).ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// `[llx lly urx ury]`, normalised, if the object is a rectangle of numbers.
fn rectangle(doc: &lopdf::Document, object: &lopdf::Object) -> Option<[f32; 4]> {
    let items = object.as_array().ok()?;
    if items.len() != 4 {
        return None;
    }
    let mut v = [0.0; 4];
    for (slot, item) in v.iter_mut().zip(items) {
        *slot = doc.dereference(item).ok()?.1.as_float().ok()?;
    }
    let r = [v[0].min(v[2]), v[1].min(v[3]), v[0].max(v[2]), v[1].max(v[3])];
    (r[2] - r[0] > 1.0 && r[3] - r[1] > 1.0 && r.iter().all(|n| n.is_finite())).then_some(r)
}

/// Adds `id` to the resource category `category` (its dictionary copied if it was a reference)
/// under `name`, or `name` followed by a number if that is taken; returns the name used.
fn add_resource(
    doc: &lopdf::Document,
    resources: &mut lopdf::Dictionary,
    category: &[u8],
    name: &[u8],
    id: lopdf::ObjectId,
) -> Vec<u8> {
    let mut entries = resources
        .get(category)
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_dict().ok())
        .cloned()
        .unwrap_or_default();
    let mut fresh = name.to_vec();
    let mut n = 1;
    while entries.has(&fresh) {
        fresh = [name, n.to_string().as_bytes()].concat();
        n += 1;
    }
    entries.set(fresh.clone(), lopdf::Object::Reference(id));
    resources.set(category.to_vec(), entries);
    fresh
}

/// The content stream of the tiles: rows of the mark over the visible box, staggered, upright
/// as the page is shown (after its /Rotate).
fn pdf_tiles(bbox: [f32; 4], rotate: i64, text: &[u8], text_width: f32, font: &[u8], state: &[u8]) -> Vec<u8> {
    use std::io::Write;

    let [x0, y0, x1, y1] = bbox;
    let (bw, bh) = (x1 - x0, y1 - y0);
    // The box as shown: a quarter turn swaps its sides.
    let (dw, dh) = if rotate % 180 == 0 { (bw, bh) } else { (bh, bw) };
    // A point of the shown page (from its bottom-left corner) in the page's own space.
    let place = |u: f32, v: f32| -> (f32, f32) {
        let (x, y) = match rotate {
            90 => (bw - v, u),
            180 => (bw - u, bh - v),
            270 => (v, bh - u),
            _ => (u, v),
        };
        (x0 + x, y0 + y)
    };
    let (sin, cos) = match rotate {
        90 => (1, 0),
        180 => (0, -1),
        270 => (-1, 0),
        _ => (0, 1),
    };
    let step_x = text_width + (text_width * 0.35).max(54.0);
    let step_y = PDF_MARK_PT * 7.0;
    let mut out = Vec::new();
    let _ = write!(out, "q\n/");
    out.extend_from_slice(state);
    let _ = write!(out, " gs\n0.6 g\nBT\n/");
    out.extend_from_slice(font);
    let _ = writeln!(out, " {PDF_MARK_PT} Tf");
    // From the top of the shown page down; every other row half a step to the left.
    let mut v = dh - PDF_MARK_PT * 3.0;
    let mut row = 0;
    while v > 0.0 && row < 500 {
        let mut u = 18.0 - (row % 2) as f32 * step_x / 2.0;
        while u < dw {
            let (x, y) = place(u, v);
            let _ = write!(out, "{cos} {sin} {} {cos} {x:.2} {y:.2} Tm ", -sin);
            out.extend_from_slice(text);
            out.extend_from_slice(b" Tj\n");
            u += step_x;
        }
        v -= step_y;
        row += 1;
    }
    out.extend_from_slice(b"ET\nQ\n");
    out
}

/// `text` as a PDF string literal for a simple font in WinAnsiEncoding: parentheses and
/// backslashes escaped, Latin-1 letters as octal escapes (WinAnsi agrees with Latin-1 there),
/// anything else (control characters, other scripts) as `?`.
fn pdf_string(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    out.push(b'(');
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            ' '..='~' => out.push(c as u8),
            '\u{a0}'..='\u{ff}' => out.extend_from_slice(format!("\\{:03o}", c as u32).as_bytes()),
            _ => out.push(latin_base(c).map_or(b'?', |b| b as u8)),
        }
    }
    out.push(b')');
    out
}

/// Width of `text` in Helvetica at 1 pt (the standard metrics for ASCII; other characters are
/// counted as a digit).
fn helvetica_width(text: &str) -> f32 {
    #[rustfmt::skip]
    const ASCII: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space../
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
    ];
    text.chars()
        .map(|c| match c {
            ' '..='~' => ASCII[c as usize - 32],
            _ => 556,
        })
        .map(|w| f32::from(w) / 1000.0)
        .sum()
}

#[cfg(test)]
mod tests {
    use lopdf::{Document, Object, Stream, dictionary};

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
    fn pdf(pages: usize, compress_objects: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier" });
        let resources = doc.add_object(dictionary! { "Font" => dictionary! { "VerityWm" => font } });
        let mut kids = Vec::new();
        for n in 0..pages {
            let content = doc.add_object(Stream::new(
                dictionary! {},
                format!("1 0 0 1 50 50 cm BT /VerityWm 12 Tf 72 712 Td (Extract {n}) Tj ET").into_bytes(),
            ));
            let mut page = dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content };
            if n == 1 {
                page.set("Rotate", 90);
            }
            kids.push(Object::Reference(doc.add_object(page)));
        }
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => kids, "Count" => pages as i64, "Resources" => resources,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        if compress_objects {
            doc.save_modern(&mut out).unwrap();
        } else {
            doc.save_to(&mut out).unwrap();
        }
        out
    }

    #[test]
    fn pdf_watermark_marks_every_page_with_its_own_font_and_keeps_the_content() {
        let mark = "Rita (R) \\ Reviewer · 2026-04-21 14:05 UTC · ses_01 € 名";
        let escaped = "(Rita \\(R\\) \\\\ Reviewer \\267 2026-04-21 14:05 UTC \\267 ses_01 ? ?)";
        for compress_objects in [false, true] {
            let out = watermark_pdf(&pdf(2, compress_objects), mark).expect("watermarked");
            let doc = Document::load_mem(&out).expect("the output parses");
            let pages = doc.get_pages();
            assert_eq!(pages.len(), 2);
            for (&n, &page) in &pages {
                let content = String::from_utf8_lossy(&doc.get_page_content(page)).into_owned();
                assert!(content.contains(&format!("(Extract {})", n - 1)), "{content}");
                assert!(content.contains(escaped), "page {n}: {content}");
                // The page's content is wrapped so its transform does not move the mark.
                assert!(content.starts_with("q\n") && content.contains("\nQ\n"), "{content}");
                let fonts = doc.get_page_fonts(page).unwrap();
                assert_eq!(
                    fonts[b"VerityWm".as_slice()]
                        .get(b"BaseFont")
                        .unwrap()
                        .as_name()
                        .unwrap(),
                    b"Courier"
                );
                assert_eq!(
                    fonts[b"VerityWm1".as_slice()]
                        .get(b"BaseFont")
                        .unwrap()
                        .as_name()
                        .unwrap(),
                    b"Helvetica"
                );
                assert!(content.contains("/VerityWm1 9 Tf"), "{content}");
                assert!(content.contains("/VerityWm gs"), "{content}");
                // Many tiles, not one line.
                assert!(content.matches(" Tj").count() > 20, "{content}");
            }
            // The rotated page's mark is turned with it.
            let rotated = String::from_utf8_lossy(&doc.get_page_content(pages[&2])).into_owned();
            assert!(rotated.contains("0 1 -1 0 "), "{rotated}");
        }
        assert!(watermark_pdf(b"%PDF-1.7 not really", mark).is_none());
    }

    #[test]
    fn pdf_strings_are_escaped_for_win_ansi() {
        assert_eq!(pdf_string("a(b)c\\d"), b"(a\\(b\\)c\\\\d)");
        assert_eq!(pdf_string("Zoë · x"), b"(Zo\\353 \\267 x)");
        assert_eq!(pdf_string("\n€名"), b"(???)");
        // Outside Latin-1 (and so WinAnsi), an accented letter loses its accent.
        assert_eq!(pdf_string("Łukasz Dvořák"), b"(Lukasz Dvor\\341k)");
    }

    #[test]
    fn image_marks_use_letters_the_font_draws() {
        let painter = verity_corpus::Painter::new();
        assert_eq!(
            drawable(&painter, "Élodie Müller · 2026 · Łukasz 名\u{a0}x"),
            "Elodie Müller | 2026 | Lukasz ? x"
        );
    }
}
