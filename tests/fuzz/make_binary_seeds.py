#!/usr/bin/env python3
"""Writes the fuzz corpora's two binary seeds, small and readable here rather than as bytes:
corpus/gguf_info/tiny.gguf (a GGUF v3 model of one 4x2 f32 tensor with an architecture, a context
length and a 4-token vocabulary) and corpus/safetensors_header/two_tensors.safetensors."""
import json
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
STRING, UINT32, INT32, ARRAY = 8, 4, 5, 9


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, kind, value):
    out = gguf_string(key) + struct.pack("<I", kind)
    if kind == STRING:
        return out + gguf_string(value)
    if kind == UINT32:
        return out + struct.pack("<I", value)
    elem, items = value
    out += struct.pack("<IQ", elem, len(items))
    return out + b"".join(gguf_string(v) if elem == STRING else struct.pack("<i", v) for v in items)


def tiny_gguf():
    kvs = [kv("general.architecture", STRING, "llama"), kv("general.name", STRING, "tiny"),
           kv("general.file_type", UINT32, 0), kv("llama.context_length", UINT32, 64),
           kv("llama.block_count", UINT32, 1), kv("llama.embedding_length", UINT32, 4),
           kv("llama.attention.head_count", UINT32, 2),
           kv("tokenizer.ggml.tokens", ARRAY, (STRING, ["<s>", "a", "b", "c"])),
           kv("tokenizer.ggml.token_type", ARRAY, (INT32, [3, 1, 1, 1]))]
    tensor = gguf_string("token_embd.weight") + struct.pack("<I", 2) + struct.pack("<QQ", 4, 2)
    tensor += struct.pack("<IQ", 0, 0)  # GGML_TYPE_F32 at offset 0 of the data section
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs)) + b"".join(kvs) + tensor
    head += b"\0" * (-len(head) % 32)  # the data section starts at the default alignment
    return head + struct.pack("<8f", *range(8))


def two_tensors_safetensors():
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                         "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}}, separators=(",", ":")).encode()
    return struct.pack("<Q", len(header)) + header + bytes(range(32))


for path, data in [("gguf_info/tiny.gguf", tiny_gguf()),
                   ("safetensors_header/two_tensors.safetensors", two_tensors_safetensors())]:
    (HERE / "corpus" / path).parent.mkdir(parents=True, exist_ok=True)
    (HERE / "corpus" / path).write_bytes(data)
