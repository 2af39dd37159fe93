#!/usr/bin/env python3
"""Convert dlib's face-recognition ResNet and 5-point shape predictor to Verity's
flat little-endian formats (see crates/faces/assets/FORMAT.md).

Python 3 standard library only.  The dlib serialization format is decoded from
dlib 19.24's headers (dlib/serialize.h, dlib/float_details.h, dlib/cuda/tensor.h,
dlib/dnn/{core,layers,input,loss}.h, dlib/image_processing/shape_predictor.h).

Usage:
    python3 tools/faces/convert.py \
        --resnet dlib_face_recognition_resnet_model_v1.dat \
        --shape-predictor shape_predictor_5_face_landmarks.dat \
        --out-dir crates/faces/assets

Every structural parameter that the Rust implementation hard-codes (kernel sizes,
strides, paddings, channel counts, input normalisation, fc bias mode) is checked
against what the .dat file says; the converter aborts on any mismatch.
"""

import argparse
import array
import hashlib
import json
import math
import os
import struct
import sys

# ---------------------------------------------------------------------------
# dlib primitive decoding (dlib/serialize.h)
# ---------------------------------------------------------------------------


class DlibStreamError(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def byte(self):
        if self.pos >= len(self.data):
            raise DlibStreamError("unexpected end of stream")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def raw(self, n):
        if self.pos + n > len(self.data):
            raise DlibStreamError("unexpected end of stream")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    # ser_helper::unpack_int for signed types: control byte = size | (0x80 if negative),
    # followed by `size` little-endian magnitude bytes.
    def sint(self):
        ctrl = self.byte()
        neg = bool(ctrl & 0x80)
        size = ctrl & 0x0F
        if size == 0 or size > 8:
            raise DlibStreamError("bad signed int control byte 0x%02x at %d" % (ctrl, self.pos - 1))
        v = int.from_bytes(self.raw(size), "little")
        return -v if neg else v

    # ser_helper::unpack_int for unsigned types: control byte = size (3 reserved bits
    # 0x70 masked out), followed by `size` little-endian bytes.
    def uint(self):
        ctrl = self.byte() & 0x8F
        if ctrl == 0 or ctrl > 8:
            raise DlibStreamError("bad unsigned int control byte at %d" % (self.pos - 1))
        return int.from_bytes(self.raw(ctrl), "little")

    # float_details: int64 mantissa, int16 exponent, value = mantissa * 2^exponent.
    def float_details(self):
        if self.data[self.pos] & 0x70:
            raise DlibStreamError("old ASCII float format at %d (not supported)" % self.pos)
        mant = self.sint()
        exp = self.sint()
        if exp == 32000:
            return math.inf
        if exp == 32001:
            return -math.inf
        if exp == 32002:
            return math.nan
        return mant, exp

    def f32(self):
        """A float serialized with dlib's portable encoding, deserialized into a float:
        dlib does std::ldexp((float)mantissa, exponent)."""
        fd = self.float_details()
        if isinstance(fd, float):
            return fd
        mant, exp = fd
        m = to_f32(float(mant))  # (float)mantissa
        return to_f32(math.ldexp(m, exp))

    def f64(self):
        fd = self.float_details()
        if isinstance(fd, float):
            return fd
        mant, exp = fd
        return math.ldexp(float(mant), exp)

    def boolean(self):
        ch = self.byte()
        if ch == ord("1"):
            return True
        if ch == ord("0"):
            return False
        raise DlibStreamError("bad bool byte 0x%02x at %d" % (ch, self.pos - 1))

    def string(self):
        n = self.uint()
        return self.raw(n).decode("latin-1")

    def expect_string(self, *allowed):
        at = self.pos
        s = self.string()
        if s not in allowed:
            raise DlibStreamError("expected one of %r at %d, found %r" % (allowed, at, s))
        return s

    def expect_int(self, what, *allowed):
        at = self.pos
        v = self.sint()
        if v not in allowed:
            raise DlibStreamError("%s: expected version %r at %d, found %r" % (what, allowed, at, v))
        return v

    # dlib/cuda/tensor.h: resizable_tensor = int version(2), long long n,k,nr,nc,
    # then n*k*nr*nc raw little-endian IEEE floats.
    def tensor(self):
        self.expect_int("resizable_tensor", 2)
        shape = tuple(self.sint() for _ in range(4))
        count = shape[0] * shape[1] * shape[2] * shape[3]
        vals = array.array("f")
        vals.frombytes(self.raw(4 * count))
        if sys.byteorder != "little":
            vals.byteswap()
        return shape, vals

    # alias_tensor: int version(1), long long n,k,nr,nc (shape only).
    def alias_tensor(self):
        self.expect_int("alias_tensor", 1)
        return tuple(self.sint() for _ in range(4))

    # dlib::matrix<float,0,1>: long -nr, long -nc (negative = current format), then
    # nr*nc floats in row-major order with the portable float encoding.
    def matrix_f32(self):
        nr = self.sint()
        nc = self.sint()
        nr, nc = abs(nr), abs(nc)
        return (nr, nc), [self.f32() for _ in range(nr * nc)]


def to_f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------------------
# The network: dlib's anet_type from examples/dnn_face_recognition_ex.cpp
# ---------------------------------------------------------------------------
#
# Layers are listed outermost (loss) first, i.e. in template-nesting order, which is
# the order in which add_layer/add_loss_layer/tag/skip headers appear in the stream.
# Each add_layer writes: version, subnetwork, details, flags, tensors -- so the
# details appear innermost (input) first, i.e. in forward order.


def block(n, stride):
    # block<N,BN,stride> = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>
    # outermost first:
    return [
        ("affine", {"slot": "affine2"}),
        ("con", {"slot": "conv2", "n": n, "k": 3, "stride": 1}),
        ("relu", {}),
        ("affine", {"slot": "affine1"}),
        ("con", {"slot": "conv1", "n": n, "k": 3, "stride": stride}),
    ]


def ares(n):
    # ares<N> = relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [("relu", {}), ("add_prev", {"tag": 1})] + block(n, 1) + [("tag", {"id": 1})]


def ares_down(n):
    # ares_down<N> = relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>
    return (
        [("relu", {}), ("add_prev", {"tag": 2}), ("avg_pool", {"k": 2, "stride": 2}),
         ("skip", {"id": 1}), ("tag", {"id": 2})]
        + block(n, 2)
        + [("tag", {"id": 1})]
    )


def anet_layers():
    # Residual units, outermost first; each entry is that unit's layer list.
    units = []
    # level0 = ares_down<256>
    units.append(ares_down(256))
    # level1 = ares<256,ares<256,ares_down<256>>>
    units += [ares(256), ares(256), ares_down(256)]
    # level2 = ares<128,ares<128,ares_down<128>>>
    units += [ares(128), ares(128), ares_down(128)]
    # level3 = ares<64,ares<64,ares<64,ares_down<64>>>>
    units += [ares(64), ares(64), ares(64), ares_down(64)]
    # level4 = ares<32,ares<32,ares<32>>>
    units += [ares(32), ares(32), ares(32)]
    nblocks = len(units)
    layers = [
        ("loss_metric", {}),
        ("fc_no_bias", {"n": 128}),
        ("avg_pool_everything", {}),
    ]
    for ui, unit in enumerate(units):
        # Units are listed outermost first, so unit 0 is forward block 13.
        fwd = nblocks - 1 - ui
        for kind, attrs in unit:
            a = dict(attrs)
            a["block"] = fwd
            layers.append((kind, a))
    layers += [
        ("max_pool", {"k": 3, "stride": 2}),
        ("relu", {}),
        ("affine", {"slot": "affine0"}),
        ("con", {"slot": "conv0", "n": 32, "k": 7, "stride": 2}),
        ("input_rgb_image_sized", {"size": 150}),
    ]
    return layers


def default_padding(k, stride):
    # con_/max_pool_/avg_pool_ template default: _padding = (_stride != 1) ? 0 : _nr/2
    return 0 if stride != 1 else k // 2


class ResnetParser:
    def __init__(self, data):
        self.r = Reader(data)
        self.layers = anet_layers()
        self.params = {}   # slot name -> dict
        self.meta = {"layers_forward": []}

    def parse(self):
        r = self.r
        # add_loss_layer: int version 1, loss details, subnetwork
        r.expect_int("add_loss_layer", 1)
        v = r.expect_string("loss_metric_", "loss_metric_2")
        if v == "loss_metric_2":
            self.meta["loss_metric"] = {"margin": r.f32(), "distance_threshold": r.f32()}
        else:
            self.meta["loss_metric"] = {"margin": 0.1, "distance_threshold": 0.75}
        self.parse_sub(1)
        if r.pos != len(r.data):
            raise DlibStreamError("%d trailing bytes after network" % (len(r.data) - r.pos))

    def parse_sub(self, i):
        kind, attrs = self.layers[i]
        r = self.r
        if kind == "tag":
            # add_tag_layer<ID,SUBNET> (SUBNET not an input layer): int version 1, subnetwork
            r.expect_int("add_tag_layer", 1)
            self.parse_sub(i + 1)
            self.meta["layers_forward"].append("tag%d" % attrs["id"])
            return
        if kind == "skip":
            r.expect_int("add_skip_layer", 1)
            self.parse_sub(i + 1)
            self.meta["layers_forward"].append("skip%d" % attrs["id"])
            return
        nxt = self.layers[i + 1][0]
        if nxt == "input_rgb_image_sized":
            # add_layer<DETAILS, INPUT_LAYER>: version(2|3), input layer, details, bool x3,
            # x_grad, cached_output, grad_final, [v3: sample_expansion_factor]
            ver = r.expect_int("add_layer<input>", 2, 3)
            self.parse_input(self.layers[i + 1][1])
            self.parse_details(kind, attrs)
            r.boolean(); r.boolean(); r.boolean()
            for _ in range(3):
                shape, _v = r.tensor()
                self.check_empty(shape, "add_layer<input> state tensor")
            if ver == 3:
                r.uint()
            return
        # add_layer<DETAILS, SUBNET>: version(1|2), subnetwork, details, bool x3,
        # x_grad, cached_output, [v2: params_grad]
        ver = r.expect_int("add_layer", 1, 2)
        self.parse_sub(i + 1)
        self.parse_details(kind, attrs)
        r.boolean(); r.boolean(); r.boolean()
        for _ in range(2 if ver == 1 else 3):
            shape, _v = r.tensor()
            self.check_empty(shape, "add_layer state tensor")

    @staticmethod
    def check_empty(shape, what):
        # The model was saved after net.clean(); anything else is just ignored state but
        # we want to know about it.
        if shape[0] * shape[1] * shape[2] * shape[3] != 0:
            print("note: non-empty %s %r (ignored)" % (what, shape), file=sys.stderr)

    def parse_input(self, attrs):
        r = self.r
        r.expect_string("input_rgb_image_sized")
        avg = (r.f32(), r.f32(), r.f32())
        nr = r.uint()
        nc = r.uint()
        if (nr, nc) != (attrs["size"], attrs["size"]):
            raise DlibStreamError("input size %dx%d, expected 150x150" % (nr, nc))
        self.meta["input"] = {"rows": nr, "cols": nc, "avg_red": avg[0], "avg_green": avg[1],
                              "avg_blue": avg[2], "scale": "(pixel - avg) / 256"}
        self.meta["layers_forward"].append("input_rgb_image_sized(%d)" % nr)

    def slot_name(self, attrs):
        if "block" in attrs:
            return "block%d.%s" % (attrs["block"], attrs["slot"])
        return attrs["slot"]

    def parse_details(self, kind, attrs):
        r = self.r
        lf = self.meta["layers_forward"]
        if kind == "con":
            ver = r.expect_string("con_4", "con_5")
            pshape, pvals = r.tensor()
            num_filters = r.sint()
            nr = r.sint(); nc = r.sint()
            sy = r.sint(); sx = r.sint()
            py = r.sint(); px = r.sint()
            fshape = r.alias_tensor()
            bshape = r.alias_tensor()
            lr = [r.f64() for _ in range(4)]
            use_bias = True
            if ver == "con_5":
                use_bias = r.boolean()
            n, k, s = attrs["n"], attrs["k"], attrs["stride"]
            pad = default_padding(k, s)
            if (num_filters, nr, nc, sy, sx, py, px) != (n, k, k, s, s, pad, pad):
                raise DlibStreamError("con mismatch: got filters=%d %dx%d stride %d,%d pad %d,%d"
                                      % (num_filters, nr, nc, sy, sx, py, px))
            cin = fshape[1]
            if fshape != (n, cin, k, k):
                raise DlibStreamError("unexpected filter alias shape %r" % (fshape,))
            nw = n * cin * k * k
            if use_bias:
                if bshape != (1, n, 1, 1):
                    raise DlibStreamError("unexpected bias alias shape %r" % (bshape,))
                if len(pvals) != nw + n:
                    raise DlibStreamError("con params size %d != %d" % (len(pvals), nw + n))
                w = pvals[:nw]
                b = pvals[nw:]
            else:
                if len(pvals) != nw:
                    raise DlibStreamError("con params size %d != %d" % (len(pvals), nw))
                w = pvals
                b = array.array("f", [0.0] * n)
            name = self.slot_name(attrs)
            self.params[name + ".w"] = ([n, cin, k, k], w)
            self.params[name + ".b"] = ([n], b)
            lf.append("%s: con(%d, %dx%d, stride %d, pad %d, in %d, version %s, bias %s)"
                      % (name, n, k, k, s, py, cin, ver, "yes" if use_bias else "no (zeros written)"))
            self.meta.setdefault("con_versions", set()).add(ver)
            self.meta.setdefault("con_use_bias", set()).add(use_bias)
        elif kind == "affine":
            ver = r.expect_string("affine_", "affine_2", "bn_con2")
            name = self.slot_name(attrs)
            if ver == "bn_con2":
                gamma, beta = self.parse_bn_as_affine()
            else:
                pshape, pvals = r.tensor()
                gshape = r.alias_tensor()
                bshape = r.alias_tensor()
                mode = r.sint()
                disabled = False
                if ver == "affine_2":
                    disabled = r.boolean()
                if mode != 0:  # CONV_MODE == 0, FC_MODE == 1
                    raise DlibStreamError("affine layer %s not in CONV_MODE (mode=%d)" % (name, mode))
                if disabled:
                    raise DlibStreamError("affine layer %s is disabled" % name)
                c = gshape[1]
                if gshape != (1, c, 1, 1) or bshape != gshape or len(pvals) != 2 * c:
                    raise DlibStreamError("unexpected affine shapes %r %r %d" % (gshape, bshape, len(pvals)))
                gamma, beta = pvals[:c], pvals[c:]
            c = len(gamma)
            self.params[name + ".gamma"] = ([c], gamma)
            self.params[name + ".beta"] = ([c], beta)
            lf.append("%s: affine(%d channels, per-channel y = gamma*x + beta, version %s)" % (name, c, ver))
            self.meta.setdefault("affine_versions", set()).add(ver)
        elif kind == "relu":
            r.expect_string("relu_")
            lf.append("relu")
        elif kind == "add_prev":
            r.expect_string("add_prev_")
            lf.append("add_prev%d (output size = elementwise max of shapes; missing entries are 0)" % attrs["tag"])
        elif kind in ("avg_pool", "max_pool", "avg_pool_everything"):
            tag = "max_pool_2" if kind == "max_pool" else "avg_pool_2"
            r.expect_string(tag)
            nr = r.sint(); nc = r.sint(); sy = r.sint(); sx = r.sint(); py = r.sint(); px = r.sint()
            if kind == "avg_pool_everything":
                want = (0, 0, 1, 1, 0, 0)
            else:
                k, s = attrs["k"], attrs["stride"]
                p = default_padding(k, s)
                want = (k, k, s, s, p, p)
            if (nr, nc, sy, sx, py, px) != want:
                raise DlibStreamError("%s mismatch: %r != %r" % (kind, (nr, nc, sy, sx, py, px), want))
            lf.append("%s(%dx%d, stride %d, pad %d)" % (kind, nr, nc, sy, py))
        elif kind == "fc_no_bias":
            ver = r.expect_string("fc_2", "fc_3")
            num_outputs = r.uint()
            num_inputs = r.uint()
            pshape, pvals = r.tensor()
            wshape = r.alias_tensor()
            bshape = r.alias_tensor()
            bmode = r.sint()
            lr = [r.f64() for _ in range(4)]
            use_bias = True
            if ver == "fc_3":
                use_bias = r.boolean()
            if bmode != 1:  # FC_HAS_BIAS = 0, FC_NO_BIAS = 1
                raise DlibStreamError("fc bias mode %d, expected FC_NO_BIAS" % bmode)
            if num_outputs != attrs["n"] or wshape != (num_inputs, num_outputs, 1, 1):
                raise DlibStreamError("fc shapes: outputs %d inputs %d weights %r"
                                      % (num_outputs, num_inputs, wshape))
            if len(pvals) != num_inputs * num_outputs:
                raise DlibStreamError("fc params size %d" % len(pvals))
            # dlib stores W as num_inputs x num_outputs (row-major), output = x * W.
            # Transpose to [out][in].
            wt = array.array("f", [0.0] * (num_inputs * num_outputs))
            for i in range(num_inputs):
                row = i * num_outputs
                for o in range(num_outputs):
                    wt[o * num_inputs + i] = pvals[row + o]
            self.params["fc.w"] = ([num_outputs, num_inputs], wt)
            lf.append("fc_no_bias(%d outputs, %d inputs, version %s)" % (num_outputs, num_inputs, ver))
        else:
            raise AssertionError(kind)

    def parse_bn_as_affine(self):
        # bn_con2 -> affine_ conversion exactly as dlib's affine_(const bn_&) does it, in float32.
        r = self.r
        pshape, pvals = r.tensor()
        gshape = r.alias_tensor()
        bshape = r.alias_tensor()
        _means = r.tensor()
        _invstds = r.tensor()
        _shape, rmeans = r.tensor()
        _shape, rvars = r.tensor()
        r.uint()                 # num_updates
        r.uint()                 # running_stats_window_size
        for _ in range(4):
            r.f64()
        eps = r.f64()
        c = gshape[1]
        gamma = array.array("f")
        beta = array.array("f")
        for j in range(c):
            g = to_f32(pvals[j] / to_f32(math.sqrt(to_f32(rvars[j] + to_f32(eps)))))
            gamma.append(g)
            beta.append(to_f32(pvals[c + j] - to_f32(g * rmeans[j])))
        return gamma, beta


# ---------------------------------------------------------------------------
# Shape predictor (dlib/image_processing/shape_predictor.h)
# ---------------------------------------------------------------------------


def parse_shape_predictor(data):
    r = Reader(data)
    r.expect_int("shape_predictor", 1)
    (nr, nc), initial = r.matrix_f32()
    if nc != 1 or nr % 2:
        raise DlibStreamError("initial_shape is %dx%d" % (nr, nc))
    forests = []
    for _c in range(r.uint()):
        trees = []
        for _t in range(r.uint()):
            splits = [(r.uint(), r.uint(), r.f32()) for _s in range(r.uint())]
            leaves = []
            for _l in range(r.uint()):
                (lr_, lc_), vals = r.matrix_f32()
                if lc_ != 1 or lr_ != nr:
                    raise DlibStreamError("leaf is %dx%d" % (lr_, lc_))
                leaves.append(vals)
            trees.append((splits, leaves))
        forests.append(trees)
    anchor_idx = [[r.uint() for _ in range(r.uint())] for _c in range(r.uint())]
    deltas = [[(r.f32(), r.f32()) for _ in range(r.uint())] for _c in range(r.uint())]
    if r.pos != len(data):
        raise DlibStreamError("%d trailing bytes after shape predictor" % (len(data) - r.pos))
    if not (len(forests) == len(anchor_idx) == len(deltas)):
        raise DlibStreamError("cascade count mismatch")
    for c in range(len(forests)):
        if len(anchor_idx[c]) != len(deltas[c]):
            raise DlibStreamError("feature count mismatch in cascade %d" % c)
        F = len(anchor_idx[c])
        for splits, leaves in forests[c]:
            if len(leaves) != len(splits) + 1:
                raise DlibStreamError("tree is not a complete binary tree")
            for i1, i2, _t in splits:
                if i1 >= F or i2 >= F:
                    raise DlibStreamError("split feature index out of range")
        for a in anchor_idx[c]:
            if a >= nr // 2:
                raise DlibStreamError("anchor index out of range")
    return initial, forests, anchor_idx, deltas


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


RESNET_ORDER_HEAD = ["conv0.w", "conv0.b", "affine0.gamma", "affine0.beta"]
BLOCK_ORDER = ["conv1.w", "conv1.b", "affine1.gamma", "affine1.beta",
               "conv2.w", "conv2.b", "affine2.gamma", "affine2.beta"]


def write_resnet(params, path):
    names = list(RESNET_ORDER_HEAD)
    for i in range(14):
        names += ["block%d.%s" % (i, s) for s in BLOCK_ORDER]
    names.append("fc.w")
    missing = [n for n in names if n not in params]
    extra = [n for n in params if n not in names]
    if missing or extra:
        raise DlibStreamError("tensor set mismatch: missing %r extra %r" % (missing, extra))
    out = bytearray(b"VRTYFRN1")
    out += struct.pack("<I", len(names))
    total = 0
    for n in names:
        dims, vals = params[n]
        count = 1
        for d in dims:
            count *= d
        if count != len(vals):
            raise AssertionError((n, dims, len(vals)))
        nb = n.encode("utf-8")
        out += struct.pack("<I", len(nb)) + nb
        out += struct.pack("<I", len(dims)) + struct.pack("<%dI" % len(dims), *dims)
        v = array.array("f", vals)
        if sys.byteorder != "little":
            v.byteswap()
        out += v.tobytes()
        total += count
    with open(path, "wb") as f:
        f.write(out)
    return names, total


def write_shape_predictor(sp, path):
    initial, forests, anchor_idx, deltas = sp
    n = len(initial) // 2
    out = bytearray(b"VRTYSP01")
    out += struct.pack("<I", n)
    out += struct.pack("<%df" % (2 * n), *initial)
    out += struct.pack("<I", len(forests))
    for c, trees in enumerate(forests):
        F = len(anchor_idx[c])
        out += struct.pack("<I", F)
        out += struct.pack("<%dI" % F, *anchor_idx[c])
        flat = []
        for dx, dy in deltas[c]:
            flat += [dx, dy]
        out += struct.pack("<%df" % (2 * F), *flat)
        out += struct.pack("<I", len(trees))
        for splits, leaves in trees:
            out += struct.pack("<I", len(splits))
            for i1, i2, t in splits:
                out += struct.pack("<IIf", i1, i2, t)
            out += struct.pack("<I", len(leaves))
            for leaf in leaves:
                out += struct.pack("<%df" % (2 * n), *leaf)
    with open(path, "wb") as f:
        f.write(out)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resnet", required=True, help="dlib_face_recognition_resnet_model_v1.dat")
    ap.add_argument("--shape-predictor", required=True, help="shape_predictor_5_face_landmarks.dat")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--meta", help="optional path for a JSON summary of what was read")
    args = ap.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)

    with open(args.resnet, "rb") as f:
        rdata = f.read()
    p = ResnetParser(rdata)
    p.parse()
    rpath = os.path.join(args.out_dir, "face_resnet_v1.bin")
    names, total = write_resnet(p.params, rpath)

    with open(args.shape_predictor, "rb") as f:
        sdata = f.read()
    sp = parse_shape_predictor(sdata)
    spath = os.path.join(args.out_dir, "shape_predictor_5.bin")
    write_shape_predictor(sp, spath)

    initial, forests, anchor_idx, deltas = sp
    meta = dict(p.meta)
    meta["con_versions"] = sorted(meta.get("con_versions", []))
    meta["con_use_bias"] = sorted(meta.get("con_use_bias", []))
    meta["affine_versions"] = sorted(meta.get("affine_versions", []))
    meta["resnet_tensors"] = len(names)
    meta["resnet_parameters"] = total
    meta["shape_predictor"] = {
        "landmarks": len(initial) // 2,
        "cascades": len(forests),
        "trees_per_cascade": sorted(set(len(t) for t in forests)),
        "features_per_cascade": sorted(set(len(a) for a in anchor_idx)),
        "splits_per_tree": sorted(set(len(s) for t in forests for s, _l in t)),
        "leaves_per_tree": sorted(set(len(l) for t in forests for _s, l in t)),
        "initial_shape": initial,
    }
    sources = {
        os.path.basename(args.resnet): sha256_file(args.resnet),
        os.path.basename(args.shape_predictor): sha256_file(args.shape_predictor),
    }
    outputs = {}
    for path in (rpath, spath):
        outputs[os.path.basename(path)] = {"bytes": os.path.getsize(path), "sha256": sha256_file(path)}
    meta["sources_sha256"] = sources
    meta["outputs"] = outputs

    for line in meta["layers_forward"]:
        print("  " + line)
    print("input normalisation:", json.dumps(meta["input"]))
    print("loss_metric:", json.dumps(meta["loss_metric"]))
    print("con versions %s, use_bias %s; affine versions %s" % (meta["con_versions"], meta["con_use_bias"], meta["affine_versions"]))
    print("resnet: %d tensors, %d parameters" % (len(names), total))
    sm = dict(meta["shape_predictor"])
    sm.pop("initial_shape")
    print("shape predictor:", json.dumps(sm))
    for k, v in sources.items():
        print("source  %s  %s" % (v, k))
    for k, v in outputs.items():
        print("output  %s  %s  (%d bytes)" % (v["sha256"], k, v["bytes"]))
    if args.meta:
        with open(args.meta, "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
