//! Stacks of two or three long, parallel, left-aligned text lines, fitted into MRZ candidates.

use super::fit::line_geometry;
use super::lines::{TextLine, median};
use super::{Candidate, Frame};

/// Turns a stack of text lines into a candidate with `cells` characters per line.
fn candidate(frame: Frame, lines: &[TextLine], cells: usize) -> Option<Candidate> {
    let pitch = median(&mut lines.iter().map(|l| l.pitch).collect::<Vec<_>>());
    // MRZ lines are left-aligned: the lines that span all cells say where the first cell is.
    let full: Vec<f32> = lines
        .iter()
        .filter(|l| (l.cells().round() as usize) >= cells)
        .map(|l| l.start)
        .collect();
    let start = if full.is_empty() {
        lines.iter().map(|l| l.start).fold(f32::MAX, f32::min)
    } else {
        full.iter().copied().fold(f32::MAX, f32::min)
    };
    let geometry = lines
        .iter()
        .map(|l| {
            // A line longer than the MRZ picked up a neighbour: keep the aligned window.
            let own = if (l.start - start).abs() < 1.5 * pitch {
                l.start
            } else {
                start
            };
            line_geometry(l, cells, pitch, own)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Candidate {
        frame,
        cells,
        lines: geometry,
    })
}

/// Line stacks that could be an MRZ, most likely first, in both reading directions.
pub(super) fn stacks(frame: Frame, mut lines: Vec<TextLine>) -> Vec<Candidate> {
    lines.retain(|l| l.cells() >= 24.0 && l.cells() <= 60.0);
    lines.sort_by(|a, b| a.middle.total_cmp(&b.middle));
    let mut found: Vec<(f32, Candidate)> = Vec::new();
    let alike = |a: &TextLine, b: &TextLine| {
        let h = a.height / b.height;
        let p = a.pitch / b.pitch;
        let gap = (b.middle - a.middle) / a.height;
        (0.75..=1.33).contains(&h)
            && (0.85..=1.18).contains(&p)
            && (1.2..=3.5).contains(&gap)
            && (a.start - b.start).abs() < 3.0 * a.pitch
            // A glare spot can hide the end of one line: the other still gives the length.
            && ((a.cells() - b.cells()).abs() < 8.0 || a.cells().min(b.cells()) >= 0.5 * a.cells().max(b.cells()))
    };
    for i in 0..lines.len() {
        for j in i + 1..lines.len() {
            if !alike(&lines[i], &lines[j]) {
                continue;
            }
            let longest = lines[i].cells().max(lines[j].cells());
            // Three lines of 30 (TD1)?
            if let Some(k) = (j + 1..lines.len()).find(|&k| alike(&lines[j], &lines[k]))
                && longest < 34.0
            {
                let stack = [lines[i].clone(), lines[j].clone(), lines[k].clone()];
                let score = (longest - 30.0).abs();
                if let Some(c) = candidate(frame, &stack, 30) {
                    found.push((score, c));
                }
                let flipped: Vec<TextLine> = stack.iter().rev().map(TextLine::flipped).collect();
                if let Some(c) = candidate(frame.flipped(), &flipped, 30) {
                    found.push((score + 0.01, c));
                }
                continue;
            }
            for cells in [36usize, 44] {
                let score = (longest - cells as f32).abs();
                if score > 6.0 {
                    continue;
                }
                let stack = [lines[i].clone(), lines[j].clone()];
                if let Some(c) = candidate(frame, &stack, cells) {
                    found.push((score, c));
                }
                let flipped: Vec<TextLine> = stack.iter().rev().map(TextLine::flipped).collect();
                if let Some(c) = candidate(frame.flipped(), &flipped, cells) {
                    found.push((score + 0.01, c));
                }
            }
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().map(|(_, c)| c).take(8).collect()
}
