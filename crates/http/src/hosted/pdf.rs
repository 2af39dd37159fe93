//! PDF uploads (company documents) are parsed with a PDF library, not searched as text: names
//! are compared after their `#xx` escapes are decoded, and objects hidden in compressed object
//! streams are unpacked (within limits) and inspected like the others. A PDF is refused when it
//! could act rather than be read: JavaScript, launch or open actions, additional actions,
//! embedded files, XFA forms, rich media, form submission, or encryption (a reviewer could not
//! read it).

use std::cell::Cell;

use lopdf::{Dictionary, Document, LoadOptions, Object};

use super::upload::Rejection;

/// Most bytes one stream may decompress to while the document loads.
const MAX_STREAM: usize = 4 * 1024 * 1024;
/// Most object streams in one file.
const MAX_OBJECT_STREAMS: u32 = 256;
/// Most values (objects, array items, dictionary entries) kept from one file: far above any
/// real scanned extract, and it bounds what a crafted file makes the parser hold.
const MAX_VALUES: u64 = 2_000_000;
/// Memory a check may take, for the shared decode budget: the file, one stream unpacked, and the
/// values kept (about 64 bytes each).
pub const MEMORY_BOUND: u64 = 2 * super::upload::MAX_UPLOAD as u64 + MAX_STREAM as u64 + MAX_VALUES * 64;

/// Names that, wherever they appear as a key or a value, make a PDF active.
const ACTIVE_NAMES: &[&[u8]] = &[
    b"JavaScript",
    b"JS",
    b"Launch",
    b"AA",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"XFA",
    b"RichMedia",
    b"SubmitForm",
    b"ImportData",
    b"GoToE",
    b"GoToR",
    b"Encrypt",
];

thread_local! {
    /// What the load kept so far: (values, object streams, over a limit).
    static LOADED: Cell<(u64, u32, bool)> = const { Cell::new((0, 0, false)) };
}

fn weight(object: &Object) -> u64 {
    match object {
        Object::Array(items) => 1 + items.iter().map(weight).sum::<u64>(),
        Object::Dictionary(d) => 1 + dictionary_weight(d),
        Object::Stream(s) => 1 + dictionary_weight(&s.dict) + s.content.len() as u64 / 64,
        _ => 1,
    }
}

fn dictionary_weight(d: &Dictionary) -> u64 {
    d.iter().map(|(_, v)| 1 + weight(v)).sum()
}

/// Called by the loader on every object, those unpacked from object streams included: counts
/// what is kept and drops everything once a limit is passed (the file is then refused).
fn count(id: (u32, u16), object: &mut Object) -> Option<((u32, u16), Object)> {
    let (mut values, mut streams, mut over) = LOADED.get();
    values += weight(object);
    if let Object::Stream(s) = object
        && s.dict.has_type(b"ObjStm")
    {
        streams += 1;
    }
    over |= values > MAX_VALUES || streams > MAX_OBJECT_STREAMS;
    LOADED.set((values, streams, over));
    if over {
        return None;
    }
    // The loader keeps `object` itself for top-level objects and the returned copy for those
    // unpacked from object streams, so both must be whole.
    Some((id, object.clone()))
}

/// Checks a PDF upload: readable, not encrypted, nothing active.
pub fn check(bytes: &[u8]) -> Result<(), Rejection> {
    // Names written in the file itself, escapes decoded: also covers objects that no
    // cross-reference lists but that a viewer repairing the file would find.
    if raw_names(bytes).any(|name| is_active(&name)) {
        return Err(Rejection::ActivePdf);
    }
    LOADED.set((0, 0, false));
    let options = LoadOptions {
        filter: Some(count),
        max_decompressed_size: Some(MAX_STREAM),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(bytes, options);
    let (_, _, over) = LOADED.get();
    let doc = loaded.map_err(|_| Rejection::Unreadable)?;
    if over || doc.catalog().is_err() || doc.get_pages().is_empty() {
        return Err(Rejection::Unreadable);
    }
    if doc.trailer.has(b"Encrypt") || dictionary_is_active(&doc, &doc.trailer) {
        return Err(Rejection::ActivePdf);
    }
    for object in doc.objects.values() {
        if object_is_active(&doc, object) {
            return Err(Rejection::ActivePdf);
        }
    }
    Ok(())
}

fn is_active(name: &[u8]) -> bool {
    ACTIVE_NAMES.contains(&name)
}

fn object_is_active(doc: &Document, object: &Object) -> bool {
    match object {
        Object::Name(name) => is_active(name),
        Object::Array(items) => items.iter().any(|o| object_is_active(doc, o)),
        Object::Dictionary(d) => dictionary_is_active(doc, d),
        Object::Stream(s) => dictionary_is_active(doc, &s.dict),
        _ => false,
    }
}

fn dictionary_is_active(doc: &Document, d: &Dictionary) -> bool {
    d.iter().any(|(key, value)| {
        is_active(key)
            // An open action that is a destination (an array) only opens a page; one that is an
            // action dictionary can do anything.
            || (key.as_slice() == b"OpenAction" && is_action(doc, value))
            || object_is_active(doc, value)
    })
}

fn is_action(doc: &Document, value: &Object) -> bool {
    let resolved = match value {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    };
    matches!(resolved, Some(Object::Dictionary(_) | Object::Stream(_)))
}

/// Every name token in the raw file (`/Name`, with `#xx` escapes decoded). Scanning text is
/// approximate (a name inside a string is seen too), but it errs towards refusing.
fn raw_names(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if bytes[i] != b'/' {
                i += 1;
                continue;
            }
            i += 1;
            let mut name = Vec::new();
            while i < bytes.len() && is_regular(bytes[i]) {
                if bytes[i] == b'#'
                    && let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte)
                {
                    name.push(byte);
                    i += 3;
                    continue;
                }
                name.push(bytes[i]);
                i += 1;
            }
            return Some(name);
        }
        None
    })
}

fn is_regular(c: u8) -> bool {
    !(c.is_ascii_whitespace() || c == 0 || b"()<>[]{}/%".contains(&c))
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(pair).ok()?;
    u8::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Stream, dictionary};

    /// A one-page PDF built with the library, with `extra` added to the catalog.
    fn pdf_with(extra: Option<(&str, Object)>, compress_objects: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let content = doc.add_object(Stream::new(
            dictionary! {},
            b"BT /F1 12 Tf 72 712 Td (Extract) Tj ET".to_vec(),
        ));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
        );
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
        if let Some((key, value)) = extra {
            let id = doc.add_object(value);
            catalog.set(key, id);
        }
        let catalog_id = doc.add_object(catalog);
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        if compress_objects {
            doc.save_modern(&mut out).unwrap();
        } else {
            doc.save_to(&mut out).unwrap();
        }
        out
    }

    fn js_action() -> Object {
        Object::Dictionary(dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") })
    }

    #[test]
    fn plain_documents_pass() {
        assert_eq!(check(&pdf_with(None, false)), Ok(()));
        assert_eq!(check(&pdf_with(None, true)), Ok(()));
        // Opening at a page is harmless.
        let dest = Object::Array(vec![Object::Integer(3), Object::Name(b"Fit".to_vec())]);
        assert_eq!(check(&pdf_with(Some(("OpenAction", dest)), false)), Ok(()));
    }

    #[test]
    fn javascript_is_refused_even_escaped_or_compressed() {
        let plain = pdf_with(Some(("OpenAction", js_action())), false);
        assert_eq!(check(&plain), Err(Rejection::ActivePdf));
        // `/J#61vaScript` is `/JavaScript` to every viewer.
        let text = String::from_utf8_lossy(&plain)
            .replace("/JavaScript", "/J#61vaScript")
            .replace("/JS", "/J#53");
        assert!(text.contains("/J#61vaScript"));
        assert_eq!(check(text.as_bytes()), Err(Rejection::ActivePdf));
        // Inside a compressed object stream, the bytes never spell the name.
        let hidden = pdf_with(Some(("Names", js_action())), true);
        assert!(
            !hidden.windows(10).any(|w| w == b"JavaScript"),
            "the action is compressed"
        );
        assert_eq!(check(&hidden), Err(Rejection::ActivePdf));
    }

    #[test]
    fn launch_actions_attachments_forms_and_encryption_are_refused() {
        let launch = Object::Dictionary(dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") });
        assert_eq!(
            check(&pdf_with(Some(("OpenAction", launch)), true)),
            Err(Rejection::ActivePdf)
        );
        let uri =
            Object::Dictionary(dictionary! { "S" => "URI", "URI" => Object::string_literal("https://x.example") });
        assert_eq!(
            check(&pdf_with(Some(("OpenAction", uri)), true)),
            Err(Rejection::ActivePdf)
        );
        let files = Object::Dictionary(dictionary! { "EmbeddedFiles" => dictionary! {} });
        assert_eq!(
            check(&pdf_with(Some(("Names", files)), true)),
            Err(Rejection::ActivePdf)
        );
        let form = Object::Dictionary(dictionary! { "Fields" => vec![], "XFA" => Object::string_literal("<xdp/>") });
        assert_eq!(
            check(&pdf_with(Some(("AcroForm", form)), true)),
            Err(Rejection::ActivePdf)
        );
        let mut encrypted = pdf_with(None, false);
        let at = encrypted.windows(5).rposition(|w| w == b"/Root").unwrap();
        encrypted.splice(at..at, b"/Encrypt 99 0 R ".iter().copied());
        assert_eq!(check(&encrypted), Err(Rejection::ActivePdf));
    }

    #[test]
    fn broken_files_are_unreadable() {
        assert_eq!(check(b"%PDF-1.7 truncated"), Err(Rejection::Unreadable));
        let full = pdf_with(None, true);
        assert_eq!(check(&full[..full.len() / 3]), Err(Rejection::Unreadable));
    }
}
