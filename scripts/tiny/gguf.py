"""A small GGUF v3 writer: the metadata types a llama needs and F32
tensors (the layout models/scripted/gguf.go writes)."""

import struct

import numpy as np

ALIGN = 32
U32, I32, F32, BOOL, STR, ARR = 4, 5, 6, 7, 8, 9


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(v):
    if isinstance(v, bool):
        return struct.pack("<I?", BOOL, v)
    if isinstance(v, int):
        return struct.pack("<II", U32, v)
    if isinstance(v, float):
        return struct.pack("<If", F32, v)
    if isinstance(v, str):
        return struct.pack("<I", STR) + _str(v)
    if isinstance(v, tuple) and v[0] == "i32":
        vals = v[1]
        return struct.pack("<IIQ", ARR, I32, len(vals)) + struct.pack(f"<{len(vals)}i", *vals)
    if isinstance(v, list):
        if all(isinstance(x, str) for x in v):
            return struct.pack("<IIQ", ARR, STR, len(v)) + b"".join(_str(x) for x in v)
        if all(isinstance(x, float) for x in v):
            return struct.pack("<IIQ", ARR, F32, len(v)) + struct.pack(f"<{len(v)}f", *v)
    raise TypeError(f"gguf: unsupported value {v!r:.40}")


def write(path, kvs, tensors):
    """kvs: list of (key, value); tensors: list of (name, numpy float32
    array in PyTorch order: the last axis is the row, ggml's ne0)."""
    head = bytearray(b"GGUF")
    head += struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for k, v in kvs:
        head += _str(k) + _value(v)
    off = 0
    datas = []
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        shape = list(reversed(arr.shape))
        head += _str(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
        head += struct.pack("<IQ", 0, off)  # type F32, offset
        data = arr.tobytes()
        datas.append(data)
        off += len(data)
        off += (-off) % ALIGN
    head += b"\0" * ((-len(head)) % ALIGN)
    with open(path, "wb") as f:
        f.write(head)
        for i, d in enumerate(datas):
            f.write(d)
            if i < len(datas) - 1:
                f.write(b"\0" * ((-len(d)) % ALIGN))
