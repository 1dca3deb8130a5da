#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/<target>/ (run from anywhere; standard library only).

Seeds are small valid (or nearly valid) files that lead the fuzzer into each reader's deep
paths; the fuzzer mutates them. Scripts and checkpoints are copied from examples/ and
Tests/Fixtures; safetensors, model files, PNG and IDX files are written here, with the
layouts DPL's tests use (Tests/DPLDataTests/Support/Fixtures.swift, ModelFileTests.swift).
"""
import gzip, json, os, shutil, struct, zlib
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "Corpus"


def target(name):
    folder = CORPUS / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


# MARK: - Scripts

lang = target("lang")
for script in sorted(list((ROOT / "examples").glob("*.dpl")) + list((ROOT / "Tests/Scripts").rglob("*.dpl"))):
    name = str(script.relative_to(ROOT)).replace("/", "_")
    shutil.copy(script, lang / name)

# Short reproducers from issue 17 that once crashed or hung the checker (now errors).
(lang / "repro_self_recursive_def.dpl").write_text("def f=f\nf\n")
(lang / "repro_nested_literal_loops.dpl").write_text(
    "".join("for x%d in [%s] {\n" % (level, ",".join(str(v) for v in range(16))) for level in range(8))
    + "report \"x\"\n" + "}\n" * 8)
(lang / "repro_def_cycle_import.dpl").write_text('import "self.dpl"\ndef a = b\ndef b = a\na\n')

# MARK: - Safetensors


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, raw bytes)]"""
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


def floats(values):
    return struct.pack("<%df" % len(values), *values)


def read_safetensors(path):
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    body = raw[8 + n:]
    return [(k, v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()]


st = target("safetensors")
(st / "one_f32.safetensors").write_bytes(safetensors([("w", "F32", [2, 2], floats([1, 2, 3, 4]))]))
(st / "dtypes.safetensors").write_bytes(safetensors([
    ("f16", "F16", [2], struct.pack("<2e", 1.0, -2.0)),
    ("bf16", "BF16", [2], bytes([0x80, 0x3f, 0x00, 0x40])),
    ("f64", "F64", [1], struct.pack("<d", 3.5)),
    ("i64", "I64", [1], struct.pack("<q", 7)),
    ("u8", "U8", [3], bytes([1, 2, 3])),
    ("scalar", "F32", [], floats([5])),
    ("empty", "F32", [0, 3], b""),
], metadata={"format": "pt"}))
shutil.copy(ROOT / "Tests/Fixtures/pytorch/tensors_expected.safetensors", st / "tensors_expected.safetensors")

# MARK: - Model files

models = target("modelfile")
cnn = read_safetensors(ROOT / "Tests/Fixtures/cnn_reference.safetensors")
cnn = [t for t in cnn if t[0] not in ("input.x", "output")]
cnn_config = {"inputChannels": 2, "imageSize": 8, "widths": [4, 6, 8], "poolAfter": [False, True, True], "hidden": 16, "classes": 5}
(models / "cnn.safetensors").write_bytes(safetensors(cnn, {"dpl.architecture": "cnn", "dpl.configuration": json.dumps(cnn_config)}))
(models / "cnn_no_metadata.safetensors").write_bytes(safetensors(cnn))
# One small tensor and each family's metadata: the validation paths (as ModelFileMetadataTests).
families = {
    "cnn": cnn_config,
    "unet": {"imageChannels": 1, "imageSize": 8, "baseWidth": 8, "channelMultipliers": [1, 2, 2], "timeEmbeddingWidth": 16, "timeWidth": 32, "groups": 4},
    "wrn": {"depth": 10, "widenFactor": 1},
    "resnet": {},
    "ncsnpp": {},
    "adm": {},
}
for family, configuration in families.items():
    (models / ("meta_%s.safetensors" % family)).write_bytes(
        safetensors([("w", "F32", [4], floats([1, 2, 3, 4]))], {"dpl.architecture": family, "dpl.configuration": json.dumps(configuration)}))

# MARK: - PyTorch checkpoints

pt = target("pytorch")
for name in ["tensors.pt", "tensors_legacy.pt", "whole_module.pt", "malicious_eval_legacy.pt", "malicious_os_system.pt"]:
    shutil.copy(ROOT / "Tests/Fixtures/pytorch" / name, pt / name)

# MARK: - PNG


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)


def png(width, height, depth, color, rows, palette=None, interlace=0, transparency=None):
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace))
    if palette:
        out += chunk(b"PLTE", palette)
    if transparency:
        out += chunk(b"tRNS", transparency)
    raw = b"".join(bytes([filt]) + row for filt, row in rows)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


pngs = target("png")
(pngs / "gray8.png").write_bytes(png(3, 2, 8, 0, [(0, bytes([0, 128, 255])), (1, bytes([1, 2, 3]))]))
(pngs / "rgb8_filters.png").write_bytes(png(2, 4, 8, 2, [(f, bytes(range(f * 6, f * 6 + 6))) for f in range(4)]))
(pngs / "rgba8_paeth.png").write_bytes(png(2, 2, 8, 6, [(4, bytes(range(8))), (4, bytes(range(8, 16)))]))
(pngs / "gray_alpha16.png").write_bytes(png(1, 2, 16, 4, [(0, bytes([1, 2, 3, 4])), (2, bytes([5, 6, 7, 8]))]))
(pngs / "gray1.png").write_bytes(png(9, 1, 1, 0, [(0, bytes([0b10101010, 0b10000000]))]))
(pngs / "palette4.png").write_bytes(png(3, 1, 4, 3, [(0, bytes([0x01, 0x20]))], palette=bytes([0, 0, 0, 255, 0, 0, 0, 255, 0]), transparency=bytes([0, 128])))
# Adam7 passes of a 3×3 image: 1, 1, 2, 1, 1 and 3 pixels per row (passes 2 and 3 are empty).
(pngs / "interlaced.png").write_bytes(png(3, 3, 8, 0, [(0, bytes(range(n))) for n in (1, 1, 2, 1, 1, 3)], interlace=1))

# MARK: - IDX


def idx(magic, dimensions, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dimensions) + payload


idxs = target("idx")
images = idx(0x803, [2, 3, 3], bytes(range(18)))
labels = idx(0x801, [4], bytes([0, 1, 9, 3]))
(idxs / "images-idx3-ubyte").write_bytes(images)
(idxs / "labels-idx1-ubyte").write_bytes(labels)
(idxs / "images-idx3-ubyte.gz").write_bytes(gzip.compress(images, mtime=0))
(idxs / "labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels, mtime=0))

for folder in sorted(CORPUS.iterdir()):
    files = list(folder.iterdir())
    print("%-12s %3d seeds, %7d bytes" % (folder.name, len(files), sum(f.stat().st_size for f in files)))
