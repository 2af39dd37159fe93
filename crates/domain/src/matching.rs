//! Name and age rules of the identity checks (IDV_NAME_MATCH_CHECK, IDV_AGE_CHECK), on names as
//! people type them and names as documents print them (upper case, ICAO 9303 transliteration).

/// ICAO 9303 transliterations that use two letters; the one-letter reading (the accent simply
/// dropped) is accepted too, since documents and users write both.
const TWO_LETTER: &[(char, &str)] = &[
    ('Ä', "AE"),
    ('Æ', "AE"),
    ('Ö', "OE"),
    ('Ø', "OE"),
    ('Œ', "OE"),
    ('Ü', "UE"),
    ('Å', "AA"),
    ('ß', "SS"),
    ('Þ', "TH"),
    ('Ĳ', "IJ"),
];

/// A letter with its accent dropped (Latin letters of the EU languages Verity serves).
fn base_letter(c: char) -> Option<char> {
    let table: &[(&str, char)] = &[
        ("ÀÁÂÃÄÅĀĂĄ", 'A'),
        ("ÇĆĈĊČ", 'C'),
        ("ĎĐ", 'D'),
        ("ÈÉÊËĒĔĖĘĚ", 'E'),
        ("ĜĞĠĢ", 'G'),
        ("ĤĦ", 'H'),
        ("ÌÍÎÏĨĪĬĮİ", 'I'),
        ("Ĵ", 'J'),
        ("Ķ", 'K'),
        ("ĹĻĽĿŁ", 'L'),
        ("ÑŃŅŇ", 'N'),
        ("ÒÓÔÕÖØŌŎŐ", 'O'),
        ("ŔŖŘ", 'R'),
        ("ŚŜŞŠȘ", 'S'),
        ("ŢŤŦȚ", 'T'),
        ("ÙÚÛÜŨŪŬŮŰŲ", 'U'),
        ("Ŵ", 'W'),
        ("ÝŸŶ", 'Y'),
        ("ŹŻŽ", 'Z'),
    ];
    table.iter().find(|(set, _)| set.contains(c)).map(|(_, b)| *b)
}

/// The readings of a name: upper case, separators (hyphens, apostrophes, `<`, dots) as spaces,
/// accents either dropped or transliterated the ICAO way. Words, in order.
pub fn readings(name: &str) -> [Vec<String>; 2] {
    let upper = name.to_uppercase();
    let mut simple = String::new();
    let mut icao = String::new();
    for c in upper.chars() {
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            simple.push(c);
            icao.push(c);
        } else if let Some((_, two)) = TWO_LETTER.iter().find(|(k, _)| *k == c) {
            icao.push_str(two);
            simple.push(base_letter(c).unwrap_or(two.chars().next().unwrap_or(' ')));
        } else if let Some(b) = base_letter(c) {
            simple.push(b);
            icao.push(b);
        } else {
            simple.push(' ');
            icao.push(' ');
        }
    }
    let words = |s: String| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    [words(simple), words(icao)]
}

fn same(a: &[String], b: &[String]) -> bool {
    a == b || a.concat() == b.concat()
}

/// Whether a document's names are those declared: the last names agree, and the given names
/// agree or one side only adds further given names (`ANNA MARIA` on the ID for a declared `Anna`).
/// Birth dates are not part of this check (they are taken from the document on validation).
pub fn names_match(declared_first: &str, declared_last: &str, document_first: &str, document_last: &str) -> bool {
    let declared_last = readings(declared_last);
    let document_last = readings(document_last);
    let last_ok = declared_last
        .iter()
        .any(|d| document_last.iter().any(|o| !d.is_empty() && same(d, o)));
    if !last_ok {
        return false;
    }
    let declared_first = readings(declared_first);
    let document_first = readings(document_first);
    declared_first.iter().any(|d| {
        document_first.iter().any(|o| {
            let (short, long) = if d.len() <= o.len() { (d, o) } else { (o, d) };
            !short.is_empty() && (same(d, o) || long.starts_with(short))
        })
    })
}

/// Completed years between a birth date and `now` (both Unix seconds, UTC).
pub fn age_at(birth: i64, now: i64) -> i64 {
    let (b, n) = (crate::hosted::format_date(birth), crate::hosted::format_date(now));
    let parse = |s: &str| -> (i64, i64, i64) {
        let p: Vec<i64> = s.split('-').map(|x| x.parse().unwrap_or(0)).collect();
        (p[0], p[1], p[2])
    };
    let ((by, bm, bd), (ny, nm, nd)) = (parse(&b), parse(&n));
    ny - by - i64::from((nm, nd) < (bm, bd))
}

/// Whether `first last` is one of `people` (full names as a registry gives them, in either
/// order: "Given Surname" or "SURNAME Given").
pub fn among(first: &str, last: &str, people: &[String]) -> bool {
    people.iter().any(|p| {
        let words: Vec<&str> = p.split_whitespace().collect();
        (1..words.len()).any(|i| {
            let (a, b) = (words[..i].join(" "), words[i..].join(" "));
            names_match(first, last, &a, &b) || names_match(first, last, &b, &a)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diacritics_and_icao_transliteration() {
        assert!(names_match("Jürgen", "Müller", "JUERGEN", "MUELLER"));
        assert!(names_match("Jürgen", "Müller", "JURGEN", "MULLER"));
        assert!(names_match("Zoé", "Lefèvre", "ZOE", "LEFEVRE"));
        assert!(names_match("Łukasz", "Wałęsa", "LUKASZ", "WALESA"));
        assert!(names_match("Ştefan", "Ţiriac", "STEFAN", "TIRIAC"));
        assert!(names_match("Søren", "Kierkegaard", "SOEREN", "KIERKEGAARD"));
    }

    #[test]
    fn hyphens_case_and_extra_given_names() {
        assert!(names_match("Anna", "Eriksson", "ANNA MARIA", "ERIKSSON"));
        assert!(names_match("anna maria", "eriksson", "ANNA", "ERIKSSON"));
        assert!(names_match("Jean-Pierre", "Dupont", "JEAN PIERRE", "DUPONT"));
        assert!(names_match("Jean Pierre", "Le Goff", "JEANPIERRE", "LEGOFF"));
        assert!(names_match("Mary", "O'Neill", "MARY", "O NEILL"));
    }

    #[test]
    fn different_people_do_not_match() {
        assert!(!names_match("Alex", "Smith", "ALEXIS", "SMITH"));
        assert!(!names_match("Anna", "Eriksson", "MARIA", "ERIKSSON"));
        assert!(!names_match("Anna", "Eriksson", "ANNA", "ERIKSEN"));
        assert!(!names_match("", "Eriksson", "ANNA", "ERIKSSON"));
    }

    #[test]
    fn ages_in_completed_years() {
        let birth = crate::hosted::parse_date("2008-03-15").unwrap();
        assert_eq!(age_at(birth, crate::hosted::parse_date("2026-03-14").unwrap()), 17);
        assert_eq!(age_at(birth, crate::hosted::parse_date("2026-03-15").unwrap()), 18);
        let leap = crate::hosted::parse_date("2008-02-29").unwrap();
        assert_eq!(age_at(leap, crate::hosted::parse_date("2026-02-28").unwrap()), 17);
        assert_eq!(age_at(leap, crate::hosted::parse_date("2026-03-01").unwrap()), 18);
    }
}
