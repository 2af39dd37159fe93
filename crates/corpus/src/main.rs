//! `verity-corpus generate` writes a specimen corpus to a folder; `verity-corpus bench` measures the
//! MRZ reader on a freshly generated corpus: read rate and time per document for each level.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use verity_corpus::{Date, Flaw, Kind, Level, Painter, Specimen};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 25,
};

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  verity-corpus generate --out DIR [--count N] [--seed S] [--level clean|light|medium|hard]...\n  verity-corpus bench [--count N per level] [--seed S] [--level L]... [--json]"
    );
    ExitCode::from(2)
}

struct Options {
    out: Option<PathBuf>,
    count: usize,
    seed: u64,
    levels: Vec<Level>,
    json: bool,
    dir: Option<PathBuf>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        out: None,
        count: 50,
        seed: 1,
        levels: Vec::new(),
        json: false,
        dir: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--out" => o.out = Some(PathBuf::from(value()?)),
            "--count" => o.count = value()?.parse().map_err(|_| "--count takes a number".to_string())?,
            "--seed" => o.seed = value()?.parse().map_err(|_| "--seed takes a number".to_string())?,
            "--level" => {
                let v = value()?;
                o.levels
                    .push(Level::parse(v).ok_or_else(|| format!("unknown level {v}"))?)
            }
            "--json" => o.json = true,
            "--dir" => o.dir = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.levels.is_empty() {
        o.levels = Level::ALL.to_vec();
    }
    Ok(o)
}

/// The documents of one level, generated on every core (reading is measured on one).
fn corpus(painter: &Painter, level: Level, count: usize, seed: u64) -> Vec<(Specimen, Vec<u8>, verity_corpus::Shot)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out: Vec<Option<(Specimen, Vec<u8>, verity_corpus::Shot)>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        for (t, chunk) in out.chunks_mut(count.div_ceil(threads).max(1)).enumerate() {
            scope.spawn(move || {
                for (i, slot) in chunk.iter_mut().enumerate() {
                    let n = (t * count.div_ceil(threads).max(1) + i) as u64;
                    let doc_seed = seed.wrapping_mul(1_000_003).wrapping_add(n);
                    let kind = Kind::ALL[(n % 4) as usize];
                    let specimen = Specimen::generate(painter, doc_seed, kind, TODAY, Flaw::None, None);
                    let (jpeg, shot) = specimen.photograph(level, doc_seed);
                    *slot = Some((specimen, jpeg, shot));
                }
            });
        }
    });
    out.into_iter().flatten().collect()
}

/// The fields a reader must get right, as strings: number, dates, names, states.
fn key_fields(m: &verity_domain::mrz::Mrz) -> serde_json::Value {
    serde_json::json!({
        "document_number": m.document_number, "birth_date": m.birth_date, "expiry_date": m.expiry_date,
        "surname": m.surname, "given_names": m.given_names, "nationality": m.nationality, "issuing_state": m.issuing_state,
    })
}

fn truth_fields(lines: &[String]) -> serde_json::Value {
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    verity_domain::mrz::parse(&refs).map_or(serde_json::Value::Null, |m| key_fields(&m))
}

/// The documents of one level to read: each as its truth MRZ lines and its JPEG.
type LevelSet = (Level, Vec<(Vec<String>, Vec<u8>)>);

/// A corpus written by `generate`: `LEVEL-NNNN-KIND.jpg` next to its `.json` truth.
fn load_dir(dir: &std::path::Path) -> Result<Vec<LevelSet>, String> {
    let mut sets: Vec<LevelSet> = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    paths.sort();
    for path in paths {
        let truth: serde_json::Value = std::fs::read(path.with_extension("json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| format!("{} has no readable truth file", path.display()))?;
        let level = truth["level"]
            .as_str()
            .and_then(|l| Level::parse(&l.to_lowercase()))
            .ok_or("truth without level")?;
        let lines: Vec<String> = serde_json::from_value(truth["mrz"].clone()).map_err(|e| e.to_string())?;
        let jpeg = std::fs::read(&path).map_err(|e| e.to_string())?;
        match sets.iter_mut().find(|(l, _)| *l == level) {
            Some((_, docs)) => docs.push((lines, jpeg)),
            None => sets.push((level, vec![(lines, jpeg)])),
        }
    }
    sets.sort_by_key(|(l, _)| Level::ALL.iter().position(|x| x == l));
    Ok(sets)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else { return usage() };
    let option_args: Vec<String> = if command == "read" {
        Vec::new()
    } else {
        args[1..].to_vec()
    };
    let o = match options(&option_args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return usage();
        }
    };
    let painter = Painter::new();
    match command.as_str() {
        "generate" => {
            let Some(dir) = o.out else {
                eprintln!("error: generate needs --out DIR");
                return ExitCode::from(2);
            };
            if let Err(e) = std::fs::create_dir_all(&dir) {
                eprintln!("error: cannot create {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
            for level in &o.levels {
                for (i, (specimen, jpeg, shot)) in corpus(&painter, *level, o.count, o.seed).into_iter().enumerate() {
                    let stem = format!("{}-{:04}-{}", level.as_str(), i, specimen.kind.as_str());
                    let truth = serde_json::json!({ "kind": specimen.kind, "level": level, "mrz": specimen.mrz,
                        "fields": truth_fields(&specimen.mrz), "identity": specimen.identity, "shot": shot });
                    let written = std::fs::write(dir.join(format!("{stem}.jpg")), jpeg)
                        .and_then(|_| std::fs::write(dir.join(format!("{stem}.json")), truth.to_string()));
                    if let Err(e) = written {
                        eprintln!("error: cannot write to {}: {e}", dir.display());
                        return ExitCode::FAILURE;
                    }
                }
            }
            println!("wrote {} documents to {}", o.count * o.levels.len(), dir.display());
            ExitCode::SUCCESS
        }
        "bench" => {
            // Documents as (level, truth lines, JPEG): generated, or loaded from `--dir`.
            let mut sets: Vec<LevelSet> = Vec::new();
            match &o.dir {
                Some(dir) => match load_dir(dir) {
                    Ok(loaded) => sets = loaded,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                },
                None => {
                    for level in &o.levels {
                        let docs = corpus(&painter, *level, o.count, o.seed);
                        sets.push((*level, docs.into_iter().map(|(s, jpeg, _)| (s.mrz, jpeg)).collect()));
                    }
                }
            }
            println!(
                "MRZ reader on generated documents ({}; read on one core, JPEG decoding included)",
                match &o.dir {
                    Some(d) => format!("from {}", d.display()),
                    None => format!("seed {}, {} per level", o.seed, o.count),
                }
            );
            println!(
                "{:<8} {:>6} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}",
                "level", "docs", "exact", "fields", "found", "ms mean", "ms p50", "ms p95"
            );
            let mut results = Vec::new();
            for (level, docs) in &sets {
                let (mut exact, mut fields_ok, mut found) = (0, 0, 0);
                let mut times = Vec::new();
                let mut misses = Vec::new();
                for (truth, jpeg) in docs {
                    let start = Instant::now();
                    let reading = verity_reader::read(jpeg);
                    times.push(start.elapsed().as_secs_f64() * 1000.0);
                    let mrz = reading.ok().and_then(|r| r.mrz);
                    if mrz.is_some() {
                        found += 1;
                    }
                    if mrz
                        .as_ref()
                        .is_some_and(|m| key_fields(&m.fields) == truth_fields(truth))
                    {
                        fields_ok += 1;
                    }
                    let lines = mrz.map(|m| m.lines);
                    if lines.as_ref() == Some(truth) {
                        exact += 1;
                    } else {
                        misses.push((truth.clone(), lines));
                    }
                }
                times.sort_by(f64::total_cmp);
                let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
                let pct = |p: f64| {
                    times
                        .get(((times.len() as f64 - 1.0) * p).round() as usize)
                        .copied()
                        .unwrap_or(0.0)
                };
                let share = |n: usize| n as f64 / docs.len().max(1) as f64 * 100.0;
                println!(
                    "{:<8} {:>6} {:>9.1}% {:>9.1}% {:>9.1}% {:>9.1} {:>9.1} {:>9.1}",
                    level.as_str(),
                    docs.len(),
                    share(exact),
                    share(fields_ok),
                    share(found),
                    mean,
                    pct(0.5),
                    pct(0.95)
                );
                if std::env::var_os("VERITY_BENCH_MISSES").is_some() {
                    for (truth, read) in &misses {
                        eprintln!("  miss {truth:?} read {read:?}");
                    }
                }
                results.push(serde_json::json!({"level": level, "docs": docs.len(), "exact": exact, "fields": fields_ok, "found": found, "ms_mean": mean, "ms_p50": pct(0.5), "ms_p95": pct(0.95)}));
            }
            if o.json {
                println!("{}", serde_json::Value::Array(results));
            }
            ExitCode::SUCCESS
        }
        "read" => {
            // Prints what the reader finds in each file given after the options.
            for path in args[1..].iter().filter(|a| !a.starts_with("--")) {
                match std::fs::read(path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| verity_reader::read(&b).map_err(|e| e.to_string()))
                {
                    Ok(r) => println!("{path}: {}", serde_json::to_string(&r).unwrap_or_default()),
                    Err(e) => println!("{path}: error: {e}"),
                }
            }
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}
