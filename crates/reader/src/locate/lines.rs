//! Text lines: components projected onto the text frame, chained along it, and rejoined where
//! a glare spot or a stain split one line apart.

use super::fit::fit;
use super::ink::Blob;

/// A component seen in the text frame: `s` along the text direction, `t` across it (downwards).
#[derive(Clone, Copy, Debug)]
pub(super) struct Glyph {
    pub(super) s0: f32,
    pub(super) s1: f32,
    pub(super) t0: f32,
    pub(super) t1: f32,
    pub(super) sc: f32,
    pub(super) tc: f32,
    /// Several fillers (`<<<`) merged into one component by blur.
    pub(super) run: bool,
}

impl Glyph {
    pub(super) fn height(&self) -> f32 {
        self.t1 - self.t0 + 1.0
    }
    pub(super) fn width(&self) -> f32 {
        self.s1 - self.s0 + 1.0
    }
    fn flipped(&self) -> Glyph {
        Glyph {
            s0: -self.s1,
            s1: -self.s0,
            t0: -self.t1,
            t1: -self.t0,
            sc: -self.sc,
            tc: -self.tc,
            run: self.run,
        }
    }
}

/// Projects a component's pixels onto the text frame.
pub(super) fn project(blob: &Blob, id: u32, labels: &[u32], width: usize, cos: f32, sin: f32) -> Glyph {
    let (mut s0, mut s1, mut t0, mut t1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for y in blob.y0..=blob.y1 {
        for x in blob.x0..=blob.x1 {
            if labels[y * width + x] != id {
                continue;
            }
            let s = x as f32 * cos + y as f32 * sin;
            let t = -(x as f32) * sin + y as f32 * cos;
            s0 = s0.min(s);
            s1 = s1.max(s);
            t0 = t0.min(t);
            t1 = t1.max(t);
        }
    }
    let sc = blob.cx * cos + blob.cy * sin;
    let tc = -blob.cx * sin + blob.cy * cos;
    let mut glyph = Glyph {
        s0,
        s1,
        t0,
        t1,
        sc,
        tc,
        run: false,
    };
    glyph.run = glyph.width() > 1.9 * glyph.height();
    glyph
}

/// Chains glyphs left to right: each links to its best right-hand neighbour on the same line.
pub(super) fn chain(glyphs: &[Glyph]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..glyphs.len()).collect();
    order.sort_by(|&a, &b| glyphs[a].s0.total_cmp(&glyphs[b].s0));
    let max_h = glyphs.iter().map(Glyph::height).fold(0f32, f32::max);
    let mut right: Vec<Option<(usize, f32)>> = vec![None; glyphs.len()];
    for (oi, &a) in order.iter().enumerate() {
        let ga = &glyphs[a];
        for &b in &order[oi + 1..] {
            let gb = &glyphs[b];
            if gb.s0 - ga.s1 > 2.0 * max_h {
                break;
            }
            let h = ga.height().max(gb.height());
            let gap = gb.s0 - ga.s1;
            let ratio = gb.height() / ga.height();
            if gb.sc <= ga.sc || gap > 1.6 * h || gap < -0.35 * h || !(0.33..=3.0).contains(&ratio) {
                continue;
            }
            // Compare middles: fillers sit lower than capitals, so use the band overlap too.
            let dt = ((gb.t0 + gb.t1) - (ga.t0 + ga.t1)).abs() / 2.0;
            let overlap = ga.t1.min(gb.t1) - ga.t0.max(gb.t0);
            if dt > 0.45 * h || overlap < 0.25 * ga.height().min(gb.height()) {
                continue;
            }
            let cost = gap.max(0.0) + 2.0 * dt;
            if right[a].is_none_or(|(_, c)| cost < c) {
                right[a] = Some((b, cost));
            }
        }
    }
    // Keep only the cheapest link into each glyph.
    let mut incoming: Vec<Option<(usize, f32)>> = vec![None; glyphs.len()];
    for (a, link) in right.iter().enumerate() {
        if let Some((b, cost)) = *link
            && incoming[b].is_none_or(|(_, c)| cost < c)
        {
            incoming[b] = Some((a, cost));
        }
    }
    let mut chains = Vec::new();
    for a in 0..glyphs.len() {
        if incoming[a].is_some() {
            continue;
        }
        let mut chain = vec![a];
        let mut cur = a;
        while let Some((b, _)) = right[cur] {
            if incoming[b].map(|(from, _)| from) != Some(cur) || chain.len() > 200 {
                break;
            }
            chain.push(b);
            cur = b;
        }
        chains.push(chain);
    }
    chains
}

pub(super) fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}

/// A chained text line with its robust measures.
#[derive(Clone, Debug)]
pub(super) struct TextLine {
    pub(super) glyphs: Vec<Glyph>,
    pub(super) height: f32,
    pub(super) pitch: f32,
    /// Centre of the first and last glyph along the line.
    pub(super) start: f32,
    pub(super) end: f32,
    pub(super) middle: f32,
}

impl TextLine {
    pub(super) fn new(glyphs: Vec<Glyph>) -> Option<TextLine> {
        let singles: Vec<&Glyph> = glyphs.iter().filter(|g| !g.run).collect();
        if singles.len() < 3 {
            return None;
        }
        let height = median(&mut singles.iter().map(|g| g.height()).collect::<Vec<_>>());
        let mut steps: Vec<f32> = singles.windows(2).map(|w| w[1].sc - w[0].sc).collect();
        let rough = median(&mut steps);
        let pitch = median(
            &mut steps
                .iter()
                .copied()
                .filter(|s| *s > 0.6 * rough && *s < 1.5 * rough)
                .collect::<Vec<_>>(),
        );
        if pitch <= 0.0 {
            return None;
        }
        let start = glyphs.first()?.s0 + pitch / 2.0;
        let end = glyphs.last()?.s1 - pitch / 2.0;
        let middle = median(&mut singles.iter().map(|g| (g.t0 + g.t1) / 2.0).collect::<Vec<_>>());
        Some(TextLine {
            glyphs,
            height,
            pitch,
            start,
            end,
            middle,
        })
    }

    pub(super) fn cells(&self) -> f32 {
        (self.end - self.start) / self.pitch + 1.0
    }

    pub(super) fn flipped(&self) -> TextLine {
        let mut glyphs: Vec<Glyph> = self.glyphs.iter().map(Glyph::flipped).collect();
        glyphs.reverse();
        TextLine {
            glyphs,
            height: self.height,
            pitch: self.pitch,
            start: -self.end,
            end: -self.start,
            middle: -self.middle,
        }
    }
}

/// Joins pieces of one text line that a glare spot, a stain or a broken character split apart:
/// collinear, alike in height and pitch, a few pitches apart.
pub(super) fn join_fragments(mut lines: Vec<TextLine>) -> Vec<TextLine> {
    lines.sort_by(|a, b| a.start.total_cmp(&b.start));
    loop {
        let mut joined = false;
        'outer: for i in 0..lines.len() {
            for j in 0..lines.len() {
                if i == j {
                    continue;
                }
                let (a, b) = (&lines[i], &lines[j]);
                let gap = (b.start - a.end) / a.pitch;
                let alike =
                    (0.7..=1.43).contains(&(a.height / b.height)) && (0.8..=1.25).contains(&(a.pitch / b.pitch));
                // Where `a` would continue to at `b`'s start, following its own slope.
                let slope = line_slope(a);
                let expected = a.middle + slope * (b.start - (a.start + a.end) / 2.0);
                if (0.4..=8.0).contains(&gap) && alike && (b.middle - expected).abs() < 0.4 * a.height {
                    let mut glyphs = a.glyphs.clone();
                    glyphs.extend(b.glyphs.iter().copied());
                    if let Some(line) = TextLine::new(glyphs) {
                        let (hi, lo) = (i.max(j), i.min(j));
                        lines.remove(hi);
                        lines.remove(lo);
                        lines.push(line);
                        joined = true;
                        break 'outer;
                    }
                }
            }
        }
        if !joined {
            return lines;
        }
    }
}

/// How fast the middle of a line moves across per unit along it.
fn line_slope(line: &TextLine) -> f32 {
    let points: Vec<(f32, f32)> = line
        .glyphs
        .iter()
        .filter(|g| !g.run)
        .map(|g| (g.sc, (g.t0 + g.t1) / 2.0))
        .collect();
    fit(&points, false).map_or(0.0, |f| f[1])
}
