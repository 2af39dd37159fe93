#!/usr/bin/env python3
"""Write the deterministic synthetic 150x150 RGB test inputs as PNG files.

Python 3 standard library only.  Each image is defined by an integer formula so
that any implementation can regenerate it exactly (x = column, y = row, 0..149):

  input_gradient.png  R = 255*x // 149, G = 255*y // 149, B = 255*(x+y) // 298
  input_checker.png   15x15-pixel cells, cx = x // 15, cy = y // 15;
                      (cx+cy) even: (20 + 20*cy, 30 + 10*((cx*cy) % 7), 60 + 15*cx)
                      (cx+cy) odd:  (230 - 9*cx, 40 + 20*cx, 200 - 15*cy)
  input_noise.png     xorshift32 (x ^= x<<13; x ^= x>>17; x ^= x<<5; all mod 2^32),
                      seed 2463534242, one step per channel value in row-major
                      R,G,B order; channel value = state >> 24

Usage: make_inputs.py OUT_DIR
"""

import os
import struct
import sys
import zlib

N = 150


def png_bytes(pixels, width, height):
    """pixels: list of rows, each a bytes/bytearray of width*3 RGB values."""
    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = bytearray()
    for row in pixels:
        raw.append(0)  # filter type 0 (None)
        raw += row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def gradient():
    rows = []
    for y in range(N):
        row = bytearray()
        for x in range(N):
            row += bytes((255 * x // 149, 255 * y // 149, 255 * (x + y) // 298))
        rows.append(row)
    return rows


def checker():
    rows = []
    for y in range(N):
        row = bytearray()
        cy = y // 15
        for x in range(N):
            cx = x // 15
            if (cx + cy) % 2 == 0:
                px = (20 + 20 * cy, 30 + 10 * ((cx * cy) % 7), 60 + 15 * cx)
            else:
                px = (230 - 9 * cx, 40 + 20 * cx, 200 - 15 * cy)
            row += bytes(px)
        rows.append(row)
    return rows


def noise():
    state = 2463534242
    rows = []
    for _y in range(N):
        row = bytearray()
        for _i in range(3 * N):
            state ^= (state << 13) & 0xFFFFFFFF
            state ^= state >> 17
            state ^= (state << 5) & 0xFFFFFFFF
            row.append(state >> 24)
        rows.append(row)
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fn in (("input_gradient.png", gradient), ("input_checker.png", checker), ("input_noise.png", noise)):
        with open(os.path.join(out, name), "wb") as f:
            f.write(png_bytes(fn(), N, N))
        print("wrote", os.path.join(out, name))


if __name__ == "__main__":
    main()
