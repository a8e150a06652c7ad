#!/usr/bin/env python3
"""Writes the binary fuzz seeds (tiny synthetic IDX and gzip files) into Fuzz/seeds/, so the
repository carries no binary data files: 2 images of 3 x 4 pixels 0..23, 3 labels (1, 9, 0),
their gzip forms, a two-member gzip of the labels, and a gzipped CSV of the text seed's digit
repeated twice."""
import gzip, os, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "seeds")
images = struct.pack(">IIII", 0x00000803, 2, 3, 4) + bytes(range(24))
labels = struct.pack(">II", 0x00000801, 3) + bytes([1, 9, 0])
idx = os.path.join(root, "idx")
os.makedirs(idx, exist_ok=True)
def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
write(os.path.join(idx, "images.idx"), images)
write(os.path.join(idx, "labels.idx"), labels)
write(os.path.join(idx, "images.idx.gz"), gzip.compress(images, mtime=0))
write(os.path.join(idx, "labels.idx.gz"), gzip.compress(labels, mtime=0))
write(os.path.join(idx, "two-members.gz"), gzip.compress(labels[:5], mtime=0) + gzip.compress(labels[5:], mtime=0))
csv = os.path.join(root, "csv")
with open(os.path.join(csv, "one-digit.csv"), "rb") as f:
    line = f.read()
write(os.path.join(csv, "two-digits.csv.gz"), gzip.compress(line + line, mtime=0))
