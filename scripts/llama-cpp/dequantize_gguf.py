#!/usr/bin/env python3
"""Writes a copy of a GGUF with every tensor dequantised to float32, metadata unchanged.

llama.cpp multiplies a quantised weight by activations it first rounds to 8 bits, but an F32
weight by the F32 activations themselves. Run on this copy, llama.cpp should agree with our
forward on the quantised original (which decodes the same weights exactly and keeps the
activations in fp32) to float rounding: the check that the tolerance of the quantised cases is
llama.cpp's activation rounding and nothing else. Needs the `gguf` package (reference venv).

    python scripts/llama-cpp/dequantize_gguf.py IN.gguf OUT.gguf
"""
import sys

import gguf
import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    reader = gguf.GGUFReader(sys.argv[1])
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(sys.argv[2], arch)
    for field in reader.fields.values():
        # GGUFWriter writes the architecture and the GGUF.* header fields itself.
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        value = field.contents()
        if field.name == gguf.Keys.General.FILE_TYPE:
            value = int(gguf.LlamaFileType.ALL_F32)
        sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, value, field.types[0], sub_type=sub_type)
    tensors = []
    for t in reader.tensors:
        data = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        tensors.append((t.name, data))
        writer.add_tensor_info(t.name, data.shape, data.dtype, data.nbytes, gguf.GGMLQuantizationType.F32)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for _, data in tensors:
        writer.write_tensor_data(data)
    writer.close()


if __name__ == "__main__":
    main()
