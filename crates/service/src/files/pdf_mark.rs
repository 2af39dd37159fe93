//! The watermark on a PDF shown to staff: a text layer tiled over every page.

use super::watermark::latin_base;

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
}
