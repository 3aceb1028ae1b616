#!/usr/bin/env python3
"""Tables of nninit's f32 Box-Muller (crates/nninit/src/fill/math.rs, `LN_TABLE` and
`SINCOS_TABLE`), printed as Rust.

LN_TABLE: for the 16 intervals i of z = 2^-e x in [OFF, 2 OFF) (OFF = 0x3f330000 as f32 bits,
about 0.6992; interval i holds the f32 bit patterns OFF + i 2^19 .. OFF + (i + 1) 2^19),
invc = 1/c rounded to f32 (c the interval's midpoint; exactly 1 for the interval holding 1.0)
and t = 2 ln(invc) of that f32 value, rounded to f32, so that
-2 ln z = t - 2 ln(1 + r), r = z invc - 1.

SINCOS_TABLE: sin and cos of 2 pi (i + 1/2) / 32, i = 0..31, rounded to f32.

Reference values from mpmath at 40 digits. Run:
python3 -m venv .venv && .venv/bin/pip install numpy mpmath && .venv/bin/python scripts/box_muller_tables.py
"""
import struct

import mpmath as mp
import numpy as np

mp.mp.dps = 40
OFF = 0x3F330000


def f32_of_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def f32(x):
    return float(np.float32(float(x)))


def lit(x):
    return repr(float(np.float32(x)))


def main():
    invc, t = [], []
    for i in range(16):
        lo = f32_of_bits(OFF + i * (1 << 19))
        hi = f32_of_bits(OFF + (i + 1) * (1 << 19))
        if lo <= 1.0 < hi:
            ic = 1.0
        else:
            ic = f32(1 / ((mp.mpf(lo) + mp.mpf(hi)) / 2))
        invc.append(ic)
        t.append(f32(2 * mp.log(mp.mpf(ic))))
    s = [f32(mp.sin(2 * mp.pi * (i + mp.mpf(0.5)) / 32)) for i in range(32)]
    c = [f32(mp.cos(2 * mp.pi * (i + mp.mpf(0.5)) / 32)) for i in range(32)]
    print("pub(crate) const LN_TABLE: [[f32; 16]; 2] = [")
    for row in (invc, t):
        print("    [" + ", ".join(lit(x) for x in row) + "],")
    print("];")
    print("pub(crate) const SINCOS_TABLE: [[f32; 32]; 2] = [")
    for row in (s, c):
        print("    [" + ", ".join(lit(x) for x in row) + "],")
    print("];")


if __name__ == "__main__":
    main()
