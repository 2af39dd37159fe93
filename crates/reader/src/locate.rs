//! Finds machine-readable zones in a photo. Dark components are found with a local (Sauvola)
//! threshold, the dominant text direction is voted by nearest neighbours, components are chained
//! into text lines along it, and stacks of two or three long, parallel, left-aligned lines become
//! MRZ candidates, each with a fitted geometry that gives every character cell's position, pitch
//! and height (perspective makes both vary along a line, so they are fitted, not assumed).

use crate::gray::{Gray, Integral};

/// A connected component of dark pixels in the working image.
#[derive(Clone, Debug)]
struct Blob {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    area: usize,
    cx: f32,
    cy: f32,
}

impl Blob {
    fn size(&self) -> usize {
        (self.x1 - self.x0 + 1).max(self.y1 - self.y0 + 1)
    }
}

/// A component seen in the text frame: `s` along the text direction, `t` across it (downwards).
#[derive(Clone, Copy, Debug)]
struct Glyph {
    s0: f32,
    s1: f32,
    t0: f32,
    t1: f32,
    sc: f32,
    tc: f32,
    /// Several fillers (`<<<`) merged into one component by blur.
    run: bool,
}

impl Glyph {
    fn height(&self) -> f32 {
        self.t1 - self.t0 + 1.0
    }
    fn width(&self) -> f32 {
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

/// The text frame: unit vectors of the text direction in the working image.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub cos: f32,
    pub sin: f32,
    /// Original image coordinates = (working + 0.5) * scale - 0.5.
    pub scale: f32,
}

impl Frame {
    fn flipped(self) -> Frame {
        Frame {
            cos: -self.cos,
            sin: -self.sin,
            scale: self.scale,
        }
    }

    /// From text-frame coordinates to the original image.
    pub fn to_image(self, s: f32, t: f32) -> (f32, f32) {
        let x = s * self.cos - t * self.sin;
        let y = s * self.sin + t * self.cos;
        ((x + 0.5) * self.scale - 0.5, (y + 0.5) * self.scale - 0.5)
    }

    /// The text direction and the downward normal, in the original image.
    pub fn axes(&self) -> ((f32, f32), (f32, f32)) {
        ((self.cos, self.sin), (-self.sin, self.cos))
    }
}

/// One fitted MRZ line: cell `k` is centred at `s(k)`, its top and bottom at `top(s)`, `bottom(s)`.
#[derive(Clone, Debug)]
pub struct LineGeometry {
    pitch_fit: [f32; 3],
    top_fit: [f32; 2],
    bottom_fit: [f32; 2],
}

/// Where one character cell is, in the original image.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    pub x: f32,
    pub y: f32,
    /// Width of the cell (character pitch) and cap height, in original pixels.
    pub pitch: f32,
    pub height: f32,
}

impl LineGeometry {
    pub fn cell(&self, frame: &Frame, k: usize) -> Cell {
        let k = k as f32;
        let [a, b, c] = self.pitch_fit;
        let s = a + b * k + c * k * k;
        let pitch = (b + 2.0 * c * k).abs();
        let top = self.top_fit[0] + self.top_fit[1] * s;
        let bottom = self.bottom_fit[0] + self.bottom_fit[1] * s;
        let (x, y) = frame.to_image(s, (top + bottom) / 2.0);
        Cell {
            x,
            y,
            pitch: pitch * frame.scale,
            height: (bottom - top).abs() * frame.scale,
        }
    }
}

/// A stack of lines that may be an MRZ, with `cells` characters per line.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub frame: Frame,
    pub cells: usize,
    pub lines: Vec<LineGeometry>,
}

/// Sauvola threshold: ink where darker than the local mean by an amount that grows in flat areas.
fn binarize(image: &Gray) -> Vec<u8> {
    let integral = Integral::new(image);
    let r = (image.width.max(image.height) / 60).clamp(6, 40);
    let mut out = vec![0u8; image.width * image.height];
    for y in 0..image.height {
        let y0 = y.saturating_sub(r);
        let y1 = (y + r).min(image.height - 1);
        for x in 0..image.width {
            let x0 = x.saturating_sub(r);
            let x1 = (x + r).min(image.width - 1);
            let (mean, dev) = integral.stats(x0, y0, x1, y1);
            let threshold = mean * (1.0 + 0.2 * (dev / 128.0 - 1.0));
            if (image.at(x, y) as f32) < threshold && dev > 6.0 {
                out[y * image.width + x] = 1;
            }
        }
    }
    out
}

/// Eight-connected components of `ink`; `labels` holds each pixel's component + 1.
fn components(ink: &[u8], width: usize, height: usize) -> (Vec<u32>, Vec<Blob>) {
    let mut labels = vec![0u32; ink.len()];
    let mut blobs = Vec::new();
    let mut stack = Vec::new();
    for start in 0..ink.len() {
        if ink[start] == 0 || labels[start] != 0 {
            continue;
        }
        let id = blobs.len() as u32 + 1;
        let mut blob = Blob {
            x0: usize::MAX,
            y0: usize::MAX,
            x1: 0,
            y1: 0,
            area: 0,
            cx: 0.0,
            cy: 0.0,
        };
        let (mut sx, mut sy) = (0f64, 0f64);
        labels[start] = id;
        stack.push(start);
        while let Some(p) = stack.pop() {
            let (x, y) = (p % width, p / width);
            blob.x0 = blob.x0.min(x);
            blob.x1 = blob.x1.max(x);
            blob.y0 = blob.y0.min(y);
            blob.y1 = blob.y1.max(y);
            blob.area += 1;
            sx += x as f64;
            sy += y as f64;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let nx = x as i32 + dx;
                    let ny = y as i32 + dy;
                    if nx < 0 || ny < 0 || nx >= width as i32 || ny >= height as i32 {
                        continue;
                    }
                    let q = ny as usize * width + nx as usize;
                    if ink[q] != 0 && labels[q] == 0 {
                        labels[q] = id;
                        stack.push(q);
                    }
                }
            }
        }
        blob.cx = (sx / blob.area as f64) as f32;
        blob.cy = (sy / blob.area as f64) as f32;
        blobs.push(blob);
    }
    (labels, blobs)
}

/// The text direction in [0, pi), voted by each component's nearest similar-sized neighbour.
fn dominant_angle(blobs: &[&Blob]) -> Option<f32> {
    if blobs.len() < 10 {
        return None;
    }
    let mut sizes: Vec<usize> = blobs.iter().map(|b| b.size()).collect();
    sizes.sort_unstable();
    let cell = (sizes[sizes.len() / 2] * 3).max(8) as f32;
    let mut grid: std::collections::HashMap<(i32, i32), Vec<usize>> = std::collections::HashMap::new();
    for (i, b) in blobs.iter().enumerate() {
        grid.entry(((b.cx / cell) as i32, (b.cy / cell) as i32))
            .or_default()
            .push(i);
    }
    let mut hist = [0f32; 180];
    for (i, a) in blobs.iter().enumerate() {
        let size_a = a.size() as f32;
        let (gx, gy) = ((a.cx / cell) as i32, (a.cy / cell) as i32);
        let mut best: Option<(f32, f32, f32)> = None;
        for dy in -1..=1 {
            for dx in -1..=1 {
                for &j in grid.get(&(gx + dx, gy + dy)).map(Vec::as_slice).unwrap_or(&[]) {
                    if j == i {
                        continue;
                    }
                    let b = blobs[j];
                    let ratio = b.size() as f32 / size_a;
                    if !(0.6..=1.7).contains(&ratio) {
                        continue;
                    }
                    let (ex, ey) = (b.cx - a.cx, b.cy - a.cy);
                    let d2 = ex * ex + ey * ey;
                    if d2 < (2.5 * size_a).powi(2) && best.is_none_or(|(bd, _, _)| d2 < bd) {
                        best = Some((d2, ex, ey));
                    }
                }
            }
        }
        if let Some((_, ex, ey)) = best {
            let mut deg = ey.atan2(ex).to_degrees();
            if deg < 0.0 {
                deg += 180.0;
            }
            hist[(deg.round() as usize) % 180] += 1.0;
        }
    }
    let smooth = |i: usize| -> f32 { (0..5).map(|k| hist[(i + 180 + k - 2) % 180]).sum() };
    let peak = (0..180).max_by(|&a, &b| smooth(a).total_cmp(&smooth(b)))?;
    if smooth(peak) < 5.0 {
        return None;
    }
    // Weighted mean around the peak, on the circle of directions.
    let (mut sum, mut weight) = (0f32, 0f32);
    for k in -2i32..=2 {
        let bin = (peak as i32 + k).rem_euclid(180) as usize;
        sum += (peak as f32 + k as f32) * hist[bin];
        weight += hist[bin];
    }
    Some((sum / weight).to_radians())
}

/// Projects a component's pixels onto the text frame.
fn project(blob: &Blob, id: u32, labels: &[u32], width: usize, cos: f32, sin: f32) -> Glyph {
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
fn chain(glyphs: &[Glyph]) -> Vec<Vec<usize>> {
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

fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}

/// A chained text line with its robust measures.
#[derive(Clone, Debug)]
struct TextLine {
    glyphs: Vec<Glyph>,
    height: f32,
    pitch: f32,
    /// Centre of the first and last glyph along the line.
    start: f32,
    end: f32,
    middle: f32,
}

impl TextLine {
    fn new(glyphs: Vec<Glyph>) -> Option<TextLine> {
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

    fn cells(&self) -> f32 {
        (self.end - self.start) / self.pitch + 1.0
    }

    fn flipped(&self) -> TextLine {
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
fn join_fragments(mut lines: Vec<TextLine>) -> Vec<TextLine> {
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

/// Least squares fit of `y = a + b x (+ c x^2)`.
fn fit(points: &[(f32, f32)], quadratic: bool) -> Option<[f32; 3]> {
    let n = points.len() as f64;
    if points.len() < if quadratic { 6 } else { 2 } {
        return None;
    }
    // Centre x for numerical stability.
    let mx = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let mut m = [[0f64; 4]; 3];
    let dim = if quadratic { 3 } else { 2 };
    for &(x, y) in points {
        let x = x as f64 - mx;
        let basis = [1.0, x, x * x];
        for r in 0..dim {
            for c in 0..dim {
                m[r][c] += basis[r] * basis[c];
            }
            m[r][3] += basis[r] * y as f64;
        }
    }
    // Gaussian elimination on the small normal equations.
    for col in 0..dim {
        let pivot = (col..dim).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, pivot);
        for r in 0..dim {
            if r != col {
                let f = m[r][col] / m[col][col];
                // Row `col` is read while row `r` is written: the index form is the clear one.
                #[allow(clippy::needless_range_loop)]
                for c in col..4 {
                    m[r][c] -= f * m[col][c];
                }
            }
        }
    }
    let coef: Vec<f64> = (0..dim).map(|r| m[r][3] / m[r][r]).collect();
    let (a, b, c) = (coef[0], coef[1], if quadratic { coef[2] } else { 0.0 });
    // Undo the centring: a + b (x - mx) + c (x - mx)^2.
    Some([(a - b * mx + c * mx * mx) as f32, (b - 2.0 * c * mx) as f32, c as f32])
}

/// Fits one line of an MRZ with `cells` characters whose first cell is centred near `start`.
fn line_geometry(line: &TextLine, cells: usize, pitch: f32, start: f32) -> Option<LineGeometry> {
    let singles: Vec<&Glyph> = line.glyphs.iter().filter(|g| !g.run).collect();
    let capitals: Vec<&&Glyph> = singles.iter().filter(|g| g.height() >= 0.8 * line.height).collect();
    let top = fit(&capitals.iter().map(|g| (g.sc, g.t0)).collect::<Vec<_>>(), false)?;
    let bottom = fit(&capitals.iter().map(|g| (g.sc, g.t1)).collect::<Vec<_>>(), false)?;
    // Index glyphs by walking the line: each step is a whole number of local pitches, which
    // follows a pitch that perspective makes grow or shrink along the line.
    let first = singles.first()?;
    let mut k = ((first.sc - start) / pitch).round();
    let mut local = pitch;
    let mut indexed: Vec<(f32, f32)> = Vec::with_capacity(singles.len());
    if k >= 0.0 && k < cells as f32 {
        indexed.push((k, first.sc));
    }
    for pair in singles.windows(2) {
        let step = pair[1].sc - pair[0].sc;
        let n = (step / local).round().max(1.0);
        if n == 1.0 {
            local = 0.8 * local + 0.2 * step;
        }
        k += n;
        if k >= 0.0 && k < cells as f32 {
            indexed.push((k, pair[1].sc));
        }
    }
    if indexed.len() < cells / 3 {
        return None;
    }
    let pitch_fit = fit(&indexed, true).or_else(|| fit(&indexed, false))?;
    let fitted_pitch = pitch_fit[1] + pitch_fit[2] * cells as f32;
    if !(0.7 * pitch..=1.4 * pitch).contains(&pitch_fit[1].abs()) || fitted_pitch <= 0.0 {
        return None;
    }
    Some(LineGeometry {
        pitch_fit,
        top_fit: [top[0], top[1]],
        bottom_fit: [bottom[0], bottom[1]],
    })
}

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
fn stacks(frame: Frame, mut lines: Vec<TextLine>) -> Vec<Candidate> {
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

/// MRZ candidates in `work` (a reduced copy of the original; `scale` maps back to it).
pub fn candidates(work: &Gray, scale: f32) -> Vec<Candidate> {
    if work.width < 16 || work.height < 16 {
        return Vec::new();
    }
    let ink = binarize(work);
    let (labels, blobs) = components(&ink, work.width, work.height);
    let max_size = work.width.min(work.height) / 6;
    let plausible: Vec<(u32, &Blob)> = blobs
        .iter()
        .enumerate()
        .filter(|(_, b)| b.area >= 6 && b.size() >= 4 && b.size() <= max_size.max(8))
        .map(|(i, b)| (i as u32 + 1, b))
        .collect();
    // Runs of merged fillers are long: leave them out of the direction vote.
    let compact: Vec<&Blob> = plausible
        .iter()
        .map(|(_, b)| *b)
        .filter(|b| {
            let (w, h) = (b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
            w <= 3 * h && h <= 3 * w
        })
        .collect();
    let Some(angle) = dominant_angle(&compact) else {
        return Vec::new();
    };
    let frame = Frame {
        cos: angle.cos(),
        sin: angle.sin(),
        scale,
    };
    let glyphs: Vec<Glyph> = plausible
        .iter()
        .map(|(id, b)| project(b, *id, &labels, work.width, frame.cos, frame.sin))
        .filter(|g| g.height() >= 4.0 && g.width() <= 14.0 * g.height())
        .collect();
    let lines: Vec<TextLine> = chain(&glyphs)
        .into_iter()
        .filter(|c| c.len() >= 4)
        .filter_map(|c| TextLine::new(c.into_iter().map(|i| glyphs[i]).collect()))
        .collect();
    let lines = join_fragments(lines);
    if std::env::var_os("VERITY_READER_DEBUG").is_some() {
        eprintln!("angle {:.1} deg, {} glyphs, lines:", angle.to_degrees(), glyphs.len());
        for l in lines.iter().filter(|l| l.cells() > 15.0) {
            eprintln!(
                "  middle {:.0} start {:.0} cells {:.1} pitch {:.1} height {:.1} glyphs {}",
                l.middle,
                l.start,
                l.cells(),
                l.pitch,
                l.height,
                l.glyphs.len()
            );
        }
    }
    stacks(frame, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_a_parabola() {
        let points: Vec<(f32, f32)> = (0..20)
            .map(|k| (k as f32, 3.0 + 2.0 * k as f32 + 0.1 * (k * k) as f32))
            .collect();
        let [a, b, c] = fit(&points, true).unwrap();
        assert!((a - 3.0).abs() < 1e-2 && (b - 2.0).abs() < 1e-2 && (c - 0.1).abs() < 1e-3);
    }

    #[test]
    fn nothing_in_a_blank_image() {
        let blank = Gray::new(200, 100, vec![200; 20_000]);
        assert!(candidates(&blank, 1.0).is_empty());
    }
}
