//! dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1`, Davis King, CC0), as a
//! forward pass in Rust: a 7x7 convolution, a max pool, 14 residual blocks of two 3x3
//! convolutions (29 convolutions in all, each followed by a per-channel affine scaling), an
//! average over the last map and a 256-to-128 projection. Same arithmetic as dlib's `anet_type`:
//! strided convolutions and pools do not pad; a down-sampling block's shortcut is a 2x2 average
//! pool of its input; where the block's output and its shortcut differ in size (channels, or 3x3
//! against 4x4 at 256 channels), the sum is taken as if the smaller were padded with zeros at the
//! bottom and right, which is what dlib's `add_prev` does.

use std::sync::OnceLock;

use crate::Descriptor;
use crate::weights::{Tensors, WeightsError};

/// Side of the aligned face chip the network reads.
pub const CHIP_SIZE: usize = 150;
/// dlib's `input_rgb_image_sized` subtracts these means from R, G and B and divides by 256.
const MEAN_RGB: [f32; 3] = [122.782, 117.001, 104.298];

static WEIGHTS: &[u8] = include_bytes!("../assets/face_resnet_v1.bin");

/// A feature map, channels first.
#[derive(Clone, Debug)]
pub struct Map {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

impl Map {
    fn zeros(channels: usize, height: usize, width: usize) -> Map {
        Map {
            channels,
            height,
            width,
            data: vec![0.0; channels * height * width],
        }
    }

    fn plane(&self) -> usize {
        self.height * self.width
    }

    fn relu(mut self) -> Map {
        for v in &mut self.data {
            *v = v.max(0.0);
        }
        self
    }
}

/// A convolution with its affine scaling folded in: `gamma * (W*x + b) + beta` is
/// `(gamma W) * x + (gamma b + beta)`.
struct Conv {
    outputs: usize,
    inputs: usize,
    kernel: usize,
    stride: usize,
    /// `outputs` rows of `inputs * kernel * kernel`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Conv {
    fn load(
        t: &mut Tensors,
        conv: &str,
        affine: &str,
        (outputs, inputs, kernel, stride): (usize, usize, usize, usize),
    ) -> Result<Conv, WeightsError> {
        let mut weights = t.take(&format!("{conv}.w"), &[outputs, inputs, kernel, kernel])?;
        let mut bias = t.take(&format!("{conv}.b"), &[outputs])?;
        let gamma = t.take(&format!("{affine}.gamma"), &[outputs])?;
        let beta = t.take(&format!("{affine}.beta"), &[outputs])?;
        let row = inputs * kernel * kernel;
        for o in 0..outputs {
            for w in &mut weights[o * row..(o + 1) * row] {
                *w *= gamma[o];
            }
            bias[o] = gamma[o] * bias[o] + beta[o];
        }
        Ok(Conv {
            outputs,
            inputs,
            kernel,
            stride,
            weights,
            bias,
        })
    }

    /// dlib pads a stride-1 convolution by half its kernel and a strided one not at all.
    fn padding(&self) -> usize {
        if self.stride == 1 { self.kernel / 2 } else { 0 }
    }

    fn forward(&self, input: &Map, scratch: &mut Vec<f32>) -> Map {
        debug_assert_eq!(input.channels, self.inputs);
        let (k, s, pad) = (self.kernel, self.stride, self.padding());
        let out_h = (input.height + 2 * pad - k) / s + 1;
        let out_w = (input.width + 2 * pad - k) / s + 1;
        let n = out_h * out_w;
        let rows = self.inputs * k * k;
        // im2col: one row per (input channel, ky, kx), one column per output pixel.
        scratch.clear();
        scratch.resize(rows * n, 0.0);
        for c in 0..self.inputs {
            let plane = &input.data[c * input.plane()..(c + 1) * input.plane()];
            for ky in 0..k {
                for kx in 0..k {
                    let row = (c * k + ky) * k + kx;
                    let dst = &mut scratch[row * n..(row + 1) * n];
                    for oy in 0..out_h {
                        let iy = (oy * s + ky) as isize - pad as isize;
                        if iy < 0 || iy >= input.height as isize {
                            continue;
                        }
                        let src = &plane[iy as usize * input.width..(iy as usize + 1) * input.width];
                        let line = &mut dst[oy * out_w..(oy + 1) * out_w];
                        for (ox, d) in line.iter_mut().enumerate() {
                            let ix = (ox * s + kx) as isize - pad as isize;
                            if ix >= 0 && (ix as usize) < input.width {
                                *d = src[ix as usize];
                            }
                        }
                    }
                }
            }
        }
        let mut out = Map::zeros(self.outputs, out_h, out_w);
        for (o, chunk) in out.data.chunks_exact_mut(n).enumerate() {
            chunk.fill(self.bias[o]);
        }
        // SAFETY: the three buffers hold exactly outputs x rows, rows x n and outputs x n values,
        // row-major, as the strides given say.
        unsafe {
            matrixmultiply::sgemm(
                self.outputs,
                rows,
                n,
                1.0,
                self.weights.as_ptr(),
                rows as isize,
                1,
                scratch.as_ptr(),
                n as isize,
                1,
                1.0,
                out.data.as_mut_ptr(),
                n as isize,
                1,
            );
        }
        out
    }
}

/// A residual block: conv, relu, conv, plus the shortcut, relu.
struct Block {
    first: Conv,
    second: Conv,
    /// Halves the map (a strided first convolution, an average-pooled shortcut).
    down: bool,
}

impl Block {
    fn forward(&self, input: &Map, scratch: &mut Vec<f32>) -> Map {
        let inner = self.first.forward(input, scratch).relu();
        let inner = self.second.forward(&inner, scratch);
        if self.down {
            add_padded(&inner, &average_pool_2x2(input)).relu()
        } else {
            add_padded(&inner, input).relu()
        }
    }
}

/// `a + b`, each read as zero outside its own size: dlib's `add_prev` on tensors of unequal size.
fn add_padded(a: &Map, b: &Map) -> Map {
    let (c, h, w) = (a.channels.max(b.channels), a.height.max(b.height), a.width.max(b.width));
    let mut out = Map::zeros(c, h, w);
    for m in [a, b] {
        for ch in 0..m.channels {
            for y in 0..m.height {
                let src = &m.data[(ch * m.height + y) * m.width..][..m.width];
                let dst = &mut out.data[(ch * h + y) * w..][..m.width];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
    }
    out
}

/// dlib's `avg_pool<2,2,2,2>`: no padding, so an odd last row or column is dropped.
fn average_pool_2x2(input: &Map) -> Map {
    let (h, w) = ((input.height - 2) / 2 + 1, (input.width - 2) / 2 + 1);
    let mut out = Map::zeros(input.channels, h, w);
    for c in 0..input.channels {
        let plane = &input.data[c * input.plane()..];
        for y in 0..h {
            for x in 0..w {
                let at = |dy: usize, dx: usize| plane[(2 * y + dy) * input.width + 2 * x + dx];
                out.data[(c * h + y) * w + x] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4.0;
            }
        }
    }
    out
}

/// dlib's `max_pool<3,3,2,2>`, no padding.
fn max_pool_3x3(input: &Map) -> Map {
    let (h, w) = ((input.height - 3) / 2 + 1, (input.width - 3) / 2 + 1);
    let mut out = Map::zeros(input.channels, h, w);
    for c in 0..input.channels {
        let plane = &input.data[c * input.plane()..];
        for y in 0..h {
            for x in 0..w {
                let mut best = f32::NEG_INFINITY;
                for dy in 0..3 {
                    for dx in 0..3 {
                        best = best.max(plane[(2 * y + dy) * input.width + 2 * x + dx]);
                    }
                }
                out.data[(c * h + y) * w + x] = best;
            }
        }
    }
    out
}

/// The network, its weights folded for inference.
pub struct FaceNet {
    stem: Conv,
    blocks: Vec<Block>,
    /// 128 rows of 256.
    projection: Vec<f32>,
}

/// (channels, down-sampling) of the 14 blocks, input to output.
const BLOCKS: [(usize, bool); 14] = [
    (32, false),
    (32, false),
    (32, false),
    (64, true),
    (64, false),
    (64, false),
    (64, false),
    (128, true),
    (128, false),
    (128, false),
    (256, true),
    (256, false),
    (256, false),
    (256, true),
];

impl FaceNet {
    /// Parses a `VRTYFRN1` weights file.
    pub fn from_bytes(bytes: &[u8]) -> Result<FaceNet, WeightsError> {
        let mut t = Tensors::parse(bytes, "VRTYFRN1")?;
        let stem = Conv::load(&mut t, "conv0", "affine0", (32, 3, 7, 2))?;
        let mut blocks = Vec::with_capacity(BLOCKS.len());
        let mut inputs = 32;
        for (i, &(channels, down)) in BLOCKS.iter().enumerate() {
            let stride = if down { 2 } else { 1 };
            let first = Conv::load(
                &mut t,
                &format!("block{i}.conv1"),
                &format!("block{i}.affine1"),
                (channels, inputs, 3, stride),
            )?;
            let second = Conv::load(
                &mut t,
                &format!("block{i}.conv2"),
                &format!("block{i}.affine2"),
                (channels, channels, 3, 1),
            )?;
            blocks.push(Block { first, second, down });
            inputs = channels;
        }
        let projection = t.take("fc.w", &[128, 256])?;
        Ok(FaceNet {
            stem,
            blocks,
            projection,
        })
    }

    /// The network with the bundled weights (parsed once).
    pub fn builtin() -> &'static FaceNet {
        static NET: OnceLock<FaceNet> = OnceLock::new();
        // The bundled file is checked by this crate's tests; failing to parse it is a build defect.
        NET.get_or_init(|| FaceNet::from_bytes(WEIGHTS).expect("the bundled face_resnet_v1.bin parses"))
    }

    /// The descriptor of an aligned 150x150 chip.
    pub fn describe(&self, chip: &crate::Chip) -> Descriptor {
        self.trace(chip, |_, _| {})
    }

    /// As [`describe`](Self::describe), calling `probe` with each stage's name and output
    /// (for conformance tests against dlib's intermediate layers).
    pub fn trace(&self, chip: &crate::Chip, mut probe: impl FnMut(&str, &Map)) -> Descriptor {
        let rgb = chip.rgb();
        let plane = CHIP_SIZE * CHIP_SIZE;
        let mut input = Map::zeros(3, CHIP_SIZE, CHIP_SIZE);
        for (i, px) in rgb.chunks_exact(3).enumerate() {
            for c in 0..3 {
                input.data[c * plane + i] = (px[c] as f32 - MEAN_RGB[c]) / 256.0;
            }
        }
        let mut scratch = Vec::new();
        let mut x = max_pool_3x3(&self.stem.forward(&input, &mut scratch).relu());
        probe("stem", &x);
        for (i, block) in self.blocks.iter().enumerate() {
            x = block.forward(&x, &mut scratch);
            probe(&format!("block{i}"), &x);
        }
        let plane = x.plane() as f32;
        let pooled: Vec<f32> = x
            .data
            .chunks_exact(x.plane())
            .map(|c| c.iter().sum::<f32>() / plane)
            .collect();
        probe(
            "pool",
            &Map {
                channels: pooled.len(),
                height: 1,
                width: 1,
                data: pooled.clone(),
            },
        );
        let mut out = [0f32; 128];
        for (o, row) in out.iter_mut().zip(self.projection.chunks_exact(256)) {
            *o = row.iter().zip(&pooled).map(|(w, v)| w * v).sum();
        }
        Descriptor(out)
    }
}
