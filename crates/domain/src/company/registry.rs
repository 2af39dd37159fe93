//! Registry extracts: the company records a registry lists, read from CSV.

use serde::{Deserialize, Serialize};

use super::number::{canonical_country, normalise_company_number};

/// A company as a registry extract lists it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RegistryRecord {
    /// ISO 3166 alpha-2, upper case.
    pub country: String,
    /// Canonical form ([`normalise_company_number`]).
    pub number: String,
    pub name: String,
    pub active: bool,
    /// Full names.
    pub officers: Vec<String>,
    /// Full names.
    pub owners: Vec<String>,
}

/// A registry CSV that cannot be read; `line` is the physical line (1 is the header) where the
/// offending record starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

fn csv_error(line: usize, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        message: message.into(),
    }
}

const COLUMNS: [&str; 6] = ["country", "number", "name", "status", "officers", "owners"];
const COUNTRY: usize = 0;
const NUMBER: usize = 1;
const NAME: usize = 2;
const STATUS: usize = 3;
const OFFICERS: usize = 4;
const OWNERS: usize = 5;

/// Where the CSV reader is within a field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Start,
    Unquoted,
    /// Inside quotes opened on this line.
    Quoted(usize),
    AfterQuote,
}

/// Splits RFC 4180 CSV into records, each with the line it starts on. Fields may be quoted (with
/// `""` for a quote, and commas and line breaks inside); records end with CRLF, LF or CR. Spaces
/// around a quoted field are ignored; a quote inside an unquoted field is kept as it is.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut state = Field::Start;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Field::Quoted(_) = state {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => state = Field::AfterQuote,
                _ => {
                    if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                state = Field::Start;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                records.push((record_line, std::mem::take(&mut fields)));
                line += 1;
                record_line = line;
                state = Field::Start;
            }
            '"' if state == Field::Start || (state == Field::Unquoted && field.trim().is_empty()) => {
                field.clear();
                state = Field::Quoted(line);
            }
            _ if state == Field::AfterQuote => {
                if !c.is_whitespace() {
                    return Err(csv_error(
                        line,
                        "unexpected text after a closing quote (quotes inside a quoted field must be doubled)",
                    ));
                }
            }
            _ => {
                field.push(c);
                state = Field::Unquoted;
            }
        }
    }
    if let Field::Quoted(start) = state {
        return Err(csv_error(start, "a quoted field is never closed"));
    }
    if state != Field::Start || !fields.is_empty() || !field.is_empty() {
        fields.push(field);
        records.push((record_line, fields));
    }
    Ok(records)
}

fn people(list: &str) -> Vec<String> {
    list.split(';')
        .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|name| !name.is_empty())
        .collect()
}

/// Reads a registry extract: a CSV (RFC 4180, UTF-8, optional BOM) whose header names, in any
/// order and case, the columns `country`, `number`, `name`, `status` (`active`, `A` or `open`;
/// `closed` or `C`), `officers` and `owners` (`;`-separated full names, possibly none). Other
/// columns are ignored, blank lines skipped. Numbers are checked and normalised with
/// [`normalise_company_number`]; the first bad record fails the whole file.
pub fn parse_registry_csv(text: &str) -> Result<Vec<RegistryRecord>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = csv_records(text)?
        .into_iter()
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()));
    let Some((header_line, header)) = records.next() else {
        return Err(csv_error(
            1,
            format!("the file is empty: expected a header row with {}", COLUMNS.join(", ")),
        ));
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut index = [0; COLUMNS.len()];
    let mut missing = Vec::new();
    for (slot, column) in COLUMNS.iter().enumerate() {
        let mut found = names
            .iter()
            .enumerate()
            .filter(|(_, name)| name == column)
            .map(|(i, _)| i);
        match (found.next(), found.next()) {
            (Some(i), None) => index[slot] = i,
            (Some(_), Some(_)) => return Err(csv_error(header_line, format!("the column {column} appears twice"))),
            (None, _) => missing.push(*column),
        }
    }
    if !missing.is_empty() {
        let plural = if missing.len() > 1 { "s" } else { "" };
        return Err(csv_error(
            header_line,
            format!("missing required column{plural}: {}", missing.join(", ")),
        ));
    }

    let mut out = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            return Err(csv_error(
                line,
                format!(
                    "expected {} fields as in the header, found {}",
                    header.len(),
                    fields.len()
                ),
            ));
        }
        let get = |slot: usize| fields[index[slot]].trim();
        let country = canonical_country(get(COUNTRY)).map_err(|e| csv_error(line, e.to_string()))?;
        let number = normalise_company_number(&country, get(NUMBER))
            .map_err(|e| csv_error(line, format!("company number \"{}\": {e}", get(NUMBER))))?;
        let name = get(NAME);
        if name.is_empty() {
            return Err(csv_error(line, "the company name is empty"));
        }
        let active = match get(STATUS).to_lowercase().as_str() {
            "active" | "a" | "open" => true,
            "closed" | "c" => false,
            other => {
                return Err(csv_error(
                    line,
                    format!("unknown status \"{other}\": expected active (or A, open) or closed (or C)"),
                ));
            }
        };
        out.push(RegistryRecord {
            country,
            number,
            name: name.to_owned(),
            active,
            officers: people(get(OFFICERS)),
            owners: people(get(OWNERS)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "country,number,name,status,officers,owners";

    #[test]
    fn csv_is_read() {
        let text = format!(
            "\u{feff}{HEADER}\r\nFR,552 100 554,\"Acme, \"\"Europe\"\" SA\",active,Jean Dupont;Marie Curie,\r\n\r\n\
             gb,3977902,Widgets Ltd,C,,\"Ann Smith; Bob Jones\"\n"
        );
        let records = parse_registry_csv(&text).unwrap();
        assert_eq!(
            records,
            vec![
                RegistryRecord {
                    country: "FR".into(),
                    number: "552100554".into(),
                    name: "Acme, \"Europe\" SA".into(),
                    active: true,
                    officers: vec!["Jean Dupont".into(), "Marie Curie".into()],
                    owners: vec![],
                },
                RegistryRecord {
                    country: "GB".into(),
                    number: "03977902".into(),
                    name: "Widgets Ltd".into(),
                    active: false,
                    officers: vec![],
                    owners: vec!["Ann Smith".into(), "Bob Jones".into()],
                },
            ]
        );
    }

    #[test]
    fn csv_columns_in_any_order_and_multiline_fields() {
        let text = "Owners,STATUS,Extra,Name,Officers,Number,Country\n\
                    \"Ann\nSmith\",open,x,\"Multi\r\nLine\",,0403.170.701,be\n\
                    ,closed,,Other,\"A, B\",HRB 1,DE";
        let records = parse_registry_csv(text).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].number, "0403170701");
        assert_eq!(records[0].name, "Multi\r\nLine");
        assert_eq!(records[0].owners, vec!["Ann Smith".to_owned()]);
        assert!(records[0].active);
        assert_eq!(records[1].number, "HRB 1");
        assert_eq!(records[1].officers, vec!["A, B".to_owned()]);
        assert!(!records[1].active);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let bad_number =
            format!("{HEADER}\nFR,552100554,A,active,,\n\"FR\",\"552100555\",\"B\nC\",active,,\nFR,1,D,active,,");
        let e = parse_registry_csv(&bad_number).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.to_string().starts_with("line 3: company number \"552100555\": "),
            "{e}"
        );

        let after_multiline = format!("{HEADER}\n\"FR\",\"552100554\",\"B\nC\",active,,\nFR,1,D,active,,");
        assert_eq!(parse_registry_csv(&after_multiline).unwrap_err().line, 4);

        let e = parse_registry_csv("country,number,name,status\nFR,552100554,A,active").unwrap_err();
        assert_eq!(
            e,
            CsvError {
                line: 1,
                message: "missing required columns: officers, owners".into()
            }
        );
        assert_eq!(e.to_string(), "line 1: missing required columns: officers, owners");

        assert_eq!(parse_registry_csv("").unwrap_err().line, 1);
        let status = parse_registry_csv(&format!("{HEADER}\nFR,552100554,A,dormant,,")).unwrap_err();
        assert_eq!(status.line, 2);
        assert!(status.message.contains("dormant"));
        assert_eq!(
            parse_registry_csv(&format!("{HEADER}\nFR,552100554,A,active,"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            parse_registry_csv(&format!("{HEADER}\nFR,552100554,,active,,"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            parse_registry_csv(&format!("{HEADER}\nXX,552100554,A,active,,"))
                .unwrap_err()
                .line,
            2
        );
        let unclosed = parse_registry_csv(&format!("{HEADER}\nFR,552100554,\"A,active,,\n")).unwrap_err();
        assert_eq!(
            unclosed,
            CsvError {
                line: 2,
                message: "a quoted field is never closed".into()
            }
        );
        let stray = parse_registry_csv(&format!("{HEADER}\nFR,552100554,\"A\"B,active,,")).unwrap_err();
        assert_eq!(stray.line, 2);
        let twice = parse_registry_csv(&format!("{HEADER},Name\n")).unwrap_err();
        assert_eq!(twice.line, 1);
    }

    #[test]
    fn csv_header_only_and_spaces_around_quotes() {
        assert_eq!(parse_registry_csv(&format!("{HEADER}\n")).unwrap(), vec![]);
        let text = format!("{HEADER}\n FR , \"552100554\" , \"Acme\" ,active,,");
        let records = parse_registry_csv(&text).unwrap();
        assert_eq!(records[0].number, "552100554");
        assert_eq!(records[0].name, "Acme");
    }
}
