//! From per-cell scores to MRZ text. Each position only takes the characters its field allows
//! (digits in dates, letters in state codes); then, where a check digit does not verify, the
//! cheapest substitution among near-tied readings of that field that makes it verify is applied and
//! recorded. Clear print has no near ties, so a tampered field still fails its check digit.

use serde::Serialize;
use verity_domain::mrz::{MrzFormat, check_digit};

use crate::ocr::{ALPHABET, CellReading};

const DIGITS: &[u8] = b"0123456789";
const DIGIT_OR_FILLER: &[u8] = b"0123456789<";
const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ<";
const SEX: &[u8] = b"MFX<";
const ANY: &[u8] = ALPHABET;
/// Readings this close to the best are ambiguous enough for a check digit to settle.
const NEAR_TIE: f32 = 0.2;
/// Mean character score below which a reading is left as read.
const MIN_MEAN_FOR_CORRECTIONS: f32 = 0.6;

/// One check digit: the cell that holds it and the cells it protects.
struct CheckSpec {
    at: (usize, usize),
    covers: &'static [(usize, usize, usize)],
}

/// A character changed to make a check digit verify.
#[derive(Clone, Debug, Serialize)]
pub struct Correction {
    pub line: usize,
    pub position: usize,
    pub read: char,
    pub corrected: char,
    pub score_loss: f32,
}

pub fn format_of(lines: usize, cells: usize, first: u8) -> Option<MrzFormat> {
    match (lines, cells, first) {
        (3, 30, _) => Some(MrzFormat::Td1),
        (2, 44, b'V') => Some(MrzFormat::MrvA),
        (2, 44, _) => Some(MrzFormat::Td3),
        (2, 36, b'V') => Some(MrzFormat::MrvB),
        (2, 36, _) => Some(MrzFormat::Td2),
        _ => None,
    }
}

/// The characters each position of `format` allows.
fn allowed(format: MrzFormat, line: usize, pos: usize) -> &'static [u8] {
    use MrzFormat::*;
    match (format, line) {
        (Td1, 0) => match pos {
            0..=4 => ALPHA,
            14 => DIGIT_OR_FILLER,
            _ => ANY,
        },
        (Td1, 1) => match pos {
            0..=6 | 8..=14 | 29 => DIGITS,
            7 => SEX,
            15..=17 => ALPHA,
            _ => ANY,
        },
        (Td1, _) => ALPHA,
        (_, 0) => ALPHA,
        (_, _) => match pos {
            9 | 13..=19 | 21..=27 => DIGITS,
            10..=12 => ALPHA,
            20 => SEX,
            42 if format == Td3 => DIGIT_OR_FILLER,
            43 if format == Td3 => DIGITS,
            35 if format == Td2 => DIGITS,
            _ => ANY,
        },
    }
}

fn specs(format: MrzFormat) -> &'static [CheckSpec] {
    use MrzFormat::*;
    match format {
        Td1 => &[
            CheckSpec {
                at: (0, 14),
                covers: &[(0, 5, 14)],
            },
            CheckSpec {
                at: (1, 6),
                covers: &[(1, 0, 6)],
            },
            CheckSpec {
                at: (1, 14),
                covers: &[(1, 8, 14)],
            },
            CheckSpec {
                at: (1, 29),
                covers: &[(0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)],
            },
        ],
        Td2 => &[
            CheckSpec {
                at: (1, 9),
                covers: &[(1, 0, 9)],
            },
            CheckSpec {
                at: (1, 19),
                covers: &[(1, 13, 19)],
            },
            CheckSpec {
                at: (1, 27),
                covers: &[(1, 21, 27)],
            },
            CheckSpec {
                at: (1, 35),
                covers: &[(1, 0, 10), (1, 13, 20), (1, 21, 35)],
            },
        ],
        Td3 => &[
            CheckSpec {
                at: (1, 9),
                covers: &[(1, 0, 9)],
            },
            CheckSpec {
                at: (1, 19),
                covers: &[(1, 13, 19)],
            },
            CheckSpec {
                at: (1, 27),
                covers: &[(1, 21, 27)],
            },
            CheckSpec {
                at: (1, 42),
                covers: &[(1, 28, 42)],
            },
            CheckSpec {
                at: (1, 43),
                covers: &[(1, 0, 10), (1, 13, 20), (1, 21, 43)],
            },
        ],
        MrvA | MrvB => &[
            CheckSpec {
                at: (1, 9),
                covers: &[(1, 0, 9)],
            },
            CheckSpec {
                at: (1, 19),
                covers: &[(1, 13, 19)],
            },
            CheckSpec {
                at: (1, 27),
                covers: &[(1, 21, 27)],
            },
        ],
    }
}

fn verifies(text: &[Vec<u8>], spec: &CheckSpec) -> bool {
    let printed = text[spec.at.0][spec.at.1];
    let data: String = spec
        .covers
        .iter()
        .flat_map(|&(l, a, b)| text[l][a..b].iter().map(|&c| c as char))
        .collect();
    // An empty optional field may carry a filler instead of a digit.
    if printed == b'<' {
        return data.bytes().all(|c| c == b'<');
    }
    check_digit(&data) as u8 == printed
}

/// The text read from `cells`, with the corrections the check digits asked for.
pub struct Decoded {
    pub lines: Vec<String>,
    pub corrections: Vec<Correction>,
    /// Mean and lowest best-class score over the cells.
    pub mean_score: f32,
    pub lowest_score: f32,
}

pub fn decode(cells: &[Vec<CellReading>]) -> Option<Decoded> {
    let first = cells.first()?.first()?.best_of(ALPHA).0;
    let format = format_of(cells.len(), cells[0].len(), first)?;
    let mut text: Vec<Vec<u8>> = Vec::new();
    let (mut sum, mut n, mut lowest) = (0f32, 0f32, f32::MAX);
    for (l, line) in cells.iter().enumerate() {
        let mut out = Vec::with_capacity(line.len());
        for (p, reading) in line.iter().enumerate() {
            let (c, score) = reading.best_of(allowed(format, l, p));
            out.push(c);
            sum += score;
            n += 1.0;
            lowest = lowest.min(score);
        }
        text.push(out);
    }
    resolve_lookalikes(&mut text, cells, format);
    let mut locked = vec![vec![false; cells[0].len()]; cells.len()];
    let mut corrections = Vec::new();
    // Only a confident reading may be corrected: in a poor one (wrong orientation, wrong
    // zone) near ties are everywhere, and corrections would make noise verify.
    let confident = sum / n.max(1.0) >= MIN_MEAN_FOR_CORRECTIONS;
    if confident {
        corrections.extend(resolve_state_codes(&mut text, cells, format));
    }
    for spec in specs(format) {
        if confident
            && !verifies(&text, spec)
            && let Some(fix) = cheapest_fix(&text, cells, format, spec, &locked)
        {
            for c in fix {
                text[c.line][c.position] = c.corrected as u8;
                corrections.push(c);
            }
        }
        if verifies(&text, spec) {
            locked[spec.at.0][spec.at.1] = true;
            for &(l, a, b) in spec.covers {
                locked[l][a..b].iter_mut().for_each(|x| *x = true);
            }
        }
    }
    Some(Decoded {
        lines: text
            .into_iter()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .collect(),
        corrections,
        mean_score: sum / n.max(1.0),
        lowest_score: lowest,
    })
}

/// ICAO 9303 state codes: ISO 3166-1 alpha-3, Germany's `D<<`, and the codes ICAO adds
/// (British nationals, UN, stateless and refugees, EU, Kosovo, orders, the specimen Utopia).
const STATE_CODES: &str = "AFG ALA ALB DZA ASM AND AGO AIA ATA ATG ARG ARM ABW AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ \
BEN BMU BTN BOL BES BIH BWA BVT BRA IOT BRN BGR BFA BDI CPV KHM CMR CAN CYM CAF TCD CHL CHN CXR CCK COL COM COG COD COK \
CRI CIV HRV CUB CUW CYP CZE DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH FLK FRO FJI FIN FRA GUF PYF ATF GAB GMB GEO \
DEU GHA GIB GRC GRL GRD GLP GUM GTM GGY GIN GNB GUY HTI HMD VAT HND HKG HUN ISL IND IDN IRN IRQ IRL IMN ISR ITA JAM JPN \
JEY JOR KAZ KEN KIR PRK KOR KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MAC MDG MWI MYS MDV MLI MLT MHL MTQ MRT MUS MYT \
MEX FSM MDA MCO MNG MNE MSR MAR MOZ MMR NAM NRU NPL NLD NCL NZL NIC NER NGA NIU NFK MKD MNP NOR OMN PAK PLW PSE PAN PNG \
PRY PER PHL PCN POL PRT PRI QAT REU ROU RUS RWA BLM SHN KNA LCA MAF SPM VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SXM SVK \
SVN SLB SOM ZAF SGS SSD ESP LKA SDN SUR SJM SWE CHE SYR TWN TJK TZA THA TLS TGO TKL TON TTO TUN TUR TKM TCA TUV UGA UKR \
ARE GBR USA UMI URY UZB VUT VEN VNM VGB VIR WLF ESH YEM ZMB ZWE D<< GBD GBN GBO GBP GBS UNO UNA UNK XXA XXB XXC XXX EUE \
RKS XOM XPO XES XMP XCC XBA XIM UTO";

/// Where the issuing state and the nationality are: (line, first position).
fn state_fields(format: MrzFormat) -> [(usize, usize); 2] {
    match format {
        MrzFormat::Td1 => [(0, 2), (1, 15)],
        _ => [(0, 2), (1, 10)],
    }
}

/// A state code that is no state is replaced by the state whose letters the cells read best, if
/// that costs little: codes are a closed list, so `OEU` is `DEU` and `HLD` is `NLD`.
fn resolve_state_codes(text: &mut [Vec<u8>], cells: &[Vec<CellReading>], format: MrzFormat) -> Vec<Correction> {
    let mut out = Vec::new();
    for (line, start) in state_fields(format) {
        let read: Vec<u8> = text[line][start..start + 3].to_vec();
        if STATE_CODES.split(' ').any(|c| c.as_bytes() == read.as_slice()) {
            continue;
        }
        let score = |code: &[u8]| -> f32 {
            code.iter()
                .enumerate()
                .map(|(i, &c)| cells[line][start + i].scores[crate::ocr::class_of(c)])
                .sum()
        };
        let current = score(&read);
        let best = STATE_CODES
            .split(' ')
            .map(|c| (c, score(c.as_bytes())))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((code, s)) = best
            && current - s <= 2.0 * NEAR_TIE
        {
            for (i, &c) in code.as_bytes().iter().enumerate() {
                if c != read[i] {
                    out.push(Correction {
                        line,
                        position: start + i,
                        read: read[i] as char,
                        corrected: c as char,
                        score_loss: cells[line][start + i].scores[crate::ocr::class_of(read[i])]
                            - cells[line][start + i].scores[crate::ocr::class_of(c)],
                    });
                }
            }
            text[line][start..start + 3].copy_from_slice(code.as_bytes());
        }
    }
    out
}

/// Digits and letters OCR-B draws alike.
const LOOKALIKES: [(u8, u8); 6] = [
    (b'0', b'O'),
    (b'1', b'I'),
    (b'5', b'S'),
    (b'8', b'B'),
    (b'2', b'Z'),
    (b'0', b'D'),
];
/// Score gap under which a lookalike pair is settled by the field's other characters.
const LOOKALIKE_TIE: f32 = 0.15;

/// In fields that take digits and letters (document numbers, optional data), a near tie between
/// lookalikes (`0`/`O`, `1`/`I`, ...) goes to the kind the field's confident characters are:
/// issuers fill such fields mostly with digits or mostly with letters.
fn resolve_lookalikes(text: &mut [Vec<u8>], cells: &[Vec<CellReading>], format: MrzFormat) {
    for l in 0..text.len() {
        let mut p = 0;
        while p < text[l].len() {
            if allowed(format, l, p) != ANY {
                p += 1;
                continue;
            }
            let start = p;
            while p < text[l].len() && allowed(format, l, p) == ANY {
                p += 1;
            }
            let field = start..p;
            let ambiguous = |i: usize| -> Option<(u8, u8)> {
                let c = text[l][i];
                let (digit, letter) = LOOKALIKES.iter().copied().find(|&(d, a)| c == d || c == a)?;
                let scores = &cells[l][i].scores;
                let gap = (scores[crate::ocr::class_of(digit)] - scores[crate::ocr::class_of(letter)]).abs();
                (gap < LOOKALIKE_TIE).then_some((digit, letter))
            };
            let (mut digits, mut letters) = (0, 0);
            for i in field.clone() {
                if ambiguous(i).is_some() {
                    continue;
                }
                match text[l][i] {
                    b'0'..=b'9' => digits += 1,
                    b'A'..=b'Z' => letters += 1,
                    _ => {}
                }
            }
            let settled: Vec<(usize, u8)> = field
                .filter_map(|i| {
                    let (digit, letter) = ambiguous(i)?;
                    match digits.cmp(&letters) {
                        std::cmp::Ordering::Greater => Some((i, digit)),
                        std::cmp::Ordering::Less => Some((i, letter)),
                        std::cmp::Ordering::Equal => None,
                    }
                })
                .collect();
            for (i, c) in settled {
                text[l][i] = c;
            }
        }
    }
}

/// Near-tied alternatives for the cells of `spec`, then the cheapest one or two substitutions
/// that make it verify.
fn cheapest_fix(
    text: &[Vec<u8>],
    cells: &[Vec<CellReading>],
    format: MrzFormat,
    spec: &CheckSpec,
    locked: &[Vec<bool>],
) -> Option<Vec<Correction>> {
    let mut positions: Vec<(usize, usize)> = spec
        .covers
        .iter()
        .flat_map(|&(l, a, b)| (a..b).map(move |p| (l, p)))
        .collect();
    positions.push(spec.at);
    let mut options: Vec<Correction> = Vec::new();
    for (l, p) in positions {
        if locked[l][p] {
            continue;
        }
        let reading = &cells[l][p];
        let current = text[l][p];
        let best = reading.scores[crate::ocr::class_of(current)];
        for &alt in allowed(format, l, p) {
            let loss = best - reading.scores[crate::ocr::class_of(alt)];
            if alt != current && loss <= NEAR_TIE {
                options.push(Correction {
                    line: l,
                    position: p,
                    read: current as char,
                    corrected: alt as char,
                    score_loss: loss,
                });
            }
        }
    }
    let apply = |fix: &[&Correction]| -> bool {
        let mut t = text.to_vec();
        for c in fix {
            t[c.line][c.position] = c.corrected as u8;
        }
        verifies(&t, spec)
    };
    let single = options
        .iter()
        .filter(|c| apply(&[c]))
        .min_by(|a, b| a.score_loss.total_cmp(&b.score_loss));
    if let Some(c) = single {
        return Some(vec![c.clone()]);
    }
    let mut best: Option<(f32, Vec<Correction>)> = None;
    for (i, a) in options.iter().enumerate() {
        for b in &options[i + 1..] {
            if (a.line, a.position) == (b.line, b.position) {
                continue;
            }
            let loss = a.score_loss + b.score_loss;
            if loss <= 2.0 * NEAR_TIE && best.as_ref().is_none_or(|(l, _)| loss < *l) && apply(&[a, b]) {
                best = Some((loss, vec![a.clone(), b.clone()]));
            }
        }
    }
    best.map(|(_, fix)| fix)
}
