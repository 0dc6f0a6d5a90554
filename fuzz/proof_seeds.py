#!/usr/bin/env python3
"""proof_seeds.py: writes fuzz/corpus/proof/ from tests/vectors/merkle/ (the
transparency-dev proof vectors, every case: happy paths and each way they
break) in fuzz_proof's raw layout, and a few small-tree inputs. Run from
the project root when the vectors change; the output is committed.

Raw layout (fuzz/fuzz_proof.c): flags (1 consistency, 2 raw sizes, 4 raw
proof, 8 raw leaf and roots), two u64 LE, the proof's count and hashes,
then the leaf hash and root, or the two roots.
"""
import base64, glob, json, os, re, struct

out = "fuzz/corpus/proof"
for f in os.listdir(out):
    os.remove(os.path.join(out, f))

def h(s, fill=0):
    # An empty hash (a case of its own in Go's API, which takes slices) is
    # a 32-byte value here: the leaf's and the roots' fillers differ, so
    # it stays a wrong hash.
    return base64.b64decode(s) if s else bytes([fill]) * 32

for path in sorted(glob.glob("tests/vectors/merkle/*/**/*.json", recursive=True)):
    v = json.load(open(path))
    proof = [h(p) for p in (v.get("proof") or [])][:80]
    body = bytes([len(proof)]) + b"".join(proof)
    if "/consistency/" in path:
        data = bytes([1 | 2 | 4 | 8]) + struct.pack("<QQ", v["size1"], v["size2"]) + body \
            + h(v.get("root1"), 0x11) + h(v.get("root2"), 0x22)
    else:
        data = bytes([2 | 4 | 8]) + struct.pack("<QQ", v["leafIdx"], v["treeSize"]) + body \
            + h(v.get("leafHash"), 0x33) + h(v.get("root"), 0x44)
    rel = os.path.relpath(path, "tests/vectors/merkle")
    name = "vec-" + re.sub(r"[^A-Za-z0-9]+", "-", rel[: -len(".json")])
    open(os.path.join(out, name), "wb").write(data)

# Small trees: the sequence's own proofs, whole and mutated (3-byte ops:
# drop, insert, replace, flip, swap, truncate).
small = {
    "inc-0-of-1": bytes([0, 0, 1, 0]),
    "inc-5-of-7": bytes([0, 5, 7, 0]),
    "inc-255-of-300": bytes([0, 255, 44, 1]),
    "inc-6-of-7-flip": bytes([0, 6, 7, 0, 3, 0, 9]),
    "inc-2-of-8-swap-insert": bytes([0, 2, 8, 0, 4, 0, 1, 1, 3, 40]),
    "cons-3-to-7": bytes([1, 3, 7, 0]),
    "cons-4-to-8": bytes([1, 4, 8, 0]),
    "cons-7-to-7": bytes([1, 7, 7, 0]),
    "cons-5-to-300-drop": bytes([1, 5, 44, 1, 0, 2, 0]),
    "cons-6-to-13-replace": bytes([1, 6, 13, 0, 2, 1, 77]),
    "cons-huge-raw": bytes([1 | 2]) + struct.pack("<QQ", 1 << 63, (1 << 64) - 1),
    "inc-huge-raw": bytes([2]) + struct.pack("<QQ", (1 << 64) - 2, (1 << 64) - 1),
}
for name, data in small.items():
    open(os.path.join(out, name), "wb").write(data)
