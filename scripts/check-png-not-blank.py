#!/usr/bin/env python3
"""Checks that a PNG screenshot is not blank, with nothing but the standard library.

Usage: check-png-not-blank.py FILE.png [--min-colours N] [--min-ink FRACTION]

Decodes the PNG by hand (zlib + the five row filters of the PNG specification, 8-bit
greyscale/RGB/RGBA, non-interlaced), then counts distinct colours and the fraction of pixels
that are not (near) white. Exits 1 with a message when the image has fewer than N colours
(default 16) or less than FRACTION non-white pixels (default 0.01), 2 when it cannot be read.
"""
import struct
import sys
import zlib


def decode(path):
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    position, idat, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError(f"{path} has no IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour_type}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    offset = 0
    for _ in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        elif kind != 0:
            raise ValueError(f"{path}: unknown row filter {kind}")
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main():
    arguments = sys.argv[1:]
    if not arguments:
        print(__doc__)
        return 2
    path = arguments[0]
    min_colours = int(arguments[arguments.index("--min-colours") + 1]) if "--min-colours" in arguments else 16
    min_ink = float(arguments[arguments.index("--min-ink") + 1]) if "--min-ink" in arguments else 0.01
    try:
        width, height, channels, rows = decode(path)
    except (OSError, ValueError, zlib.error) as error:
        print(f"check-png-not-blank: {error}", file=sys.stderr)
        return 2
    colour_channels = 1 if channels <= 2 else 3
    colours, ink = set(), 0
    for row in rows:
        for x in range(0, len(row), channels):
            pixel = row[x:x + colour_channels]
            colours.add(pixel)
            if min(pixel) < 235:
                ink += 1
    fraction = ink / float(width * height)
    print(f"{path}: {width}x{height}, {len(colours)} distinct colours, {fraction:.1%} non-white pixels")
    if len(colours) < min_colours or fraction < min_ink:
        print(f"check-png-not-blank: {path} looks blank (needs ≥ {min_colours} colours and ≥ {min_ink:.1%} non-white)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
