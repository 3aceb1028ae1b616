#!/usr/bin/env python3
"""Make the embedded MNIST subset shipped with nninit-diag.

Takes the first N (default 2000) images and labels of the MNIST *test* set
(t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) and writes them as gzipped IDX files
with valid headers (count N) next to this script. Standard library only.

Usage (from the repository root):
    python3 crates/nninit-diag/data/make_subset.py [MNIST_DIR] [N]
MNIST_DIR defaults to ../shared/data/mnist (relative to the repository root).
"""
import gzip
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    (m,) = struct.unpack(">I", data[:4])
    if m != magic:
        raise SystemExit(f"{path}: bad magic 0x{m:08x}, expected 0x{magic:08x}")
    ndim = m & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    size = 1
    for d in dims:
        size *= d
    if len(body) != size:
        raise SystemExit(f"{path}: body has {len(body)} bytes, header says {size}")
    return dims, body


def write_idx_gz(path, magic, dims, body):
    raw = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims) + body
    # mtime=0 and no file name in the header: the output is byte-for-byte reproducible.
    with open(path, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as g:
            g.write(raw)
    return hashlib.md5(raw).hexdigest(), len(raw)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "..", "shared", "data", "mnist")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    (count, rows, cols), pixels = read_idx(os.path.join(src, "t10k-images-idx3-ubyte.gz"), 0x803)
    (lcount,), labels = read_idx(os.path.join(src, "t10k-labels-idx1-ubyte.gz"), 0x801)
    if count != lcount or n > count:
        raise SystemExit(f"{count} images, {lcount} labels, asked for {n}")
    prefix = os.path.join(HERE, f"mnist-t10k-first{n}")
    md5_i, len_i = write_idx_gz(
        prefix + "-images-idx3-ubyte.gz", 0x803, (n, rows, cols), pixels[: n * rows * cols]
    )
    md5_l, len_l = write_idx_gz(prefix + "-labels-idx1-ubyte.gz", 0x801, (n,), labels[:n])
    print(f"{prefix}-images-idx3-ubyte.gz: raw {len_i} bytes, md5 {md5_i}")
    print(f"{prefix}-labels-idx1-ubyte.gz: raw {len_l} bytes, md5 {md5_l}")
    counts = [0] * 10
    for b in labels[:n]:
        counts[b] += 1
    print("label counts:", counts)


if __name__ == "__main__":
    main()
