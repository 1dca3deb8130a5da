"""Writes examples/own-data/images/: the first two Fashion-MNIST test images of each class as
8-bit grayscale PNGs, one folder per class, the layout `load images path=...` reads.

Folder names start with the class index ("0-t-shirt", "1-trouser", ...) because DPL numbers
classes by sorting the folder names: the prefix keeps them in Fashion-MNIST's label order, so
a classifier trained on Fashion-MNIST (the PyTorch one from train_torch.py, or DPL's shipped
one) reads them with the right labels.

    python3 examples/own-data/export_images.py [--source /usr/share/datasets/fashion-mnist]

Needs only the Python standard library (gzip, zlib, struct).
"""
import argparse
import gzip
import os
import struct
import zlib

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
PER_CLASS = 2


def read_idx(path):
    """The payload of a gzipped IDX file (images: count x 28 x 28 bytes; labels: count bytes)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png_gray(width, height, pixels):
    """A minimal 8-bit grayscale PNG: IHDR, one IDAT (filter 0 on every row), IEND."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "images"))
    args = parser.parse_args()
    (count, height, width), images = read_idx(os.path.join(args.source, "t10k-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(args.source, "t10k-labels-idx1-ubyte.gz"))
    taken = {label: 0 for label in range(len(CLASSES))}
    size = height * width
    for index in range(count):
        label = labels[index]
        if taken[label] == PER_CLASS:
            continue
        taken[label] += 1
        folder = os.path.join(args.out, f"{label}-{CLASSES[label]}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"test-{index:05d}.png"), "wb") as f:
            f.write(png_gray(width, height, images[index * size:(index + 1) * size]))
        if all(n == PER_CLASS for n in taken.values()):
            break
    print(f"wrote {sum(taken.values())} images to {args.out}")


if __name__ == "__main__":
    main()
