#!/usr/bin/env python3
"""Checks the `model.tflite` of an `emovox export` bundle in the real LiteRT interpreter.

    scripts/check_tflite.py DIST [--manifest seed4.csv] [--json check.json] [--max-diff 0]

DIST comes from `emovox export RUN --out DIST --clips CLIP...`: `model.tflite`,
`model_info.json`, `inputs.npy` (the int8 inputs emovox-tiny's front end computed for each
clip) and `expected.json` (emovox-tiny's int8 logits for them).

1. The flatbuffer (read with the schema of the `ai-edge-litert` wheel): every operator is a
   builtin TFLite Micro registers (no custom or SELECT_TF ops), every tensor int8 or int32
   (int32 only for biases and shapes), the graph's input and output int8, per-channel
   quantisation (`quantized_dimension` 0) on the convolution weights.
2. The interpreter with the reference kernels (`OpResolverType.BUILTIN_REF`: the arithmetic
   of TFLite Micro's kernels) on every clip's int8 input: the int8 logits must equal
   emovox-tiny's to within `--max-diff` quantisation steps (default 0: bit for bit).
3. The default interpreter (optimised kernels and the XNNPACK delegate): the same numbers,
   reported only (XNNPACK requantises convolutions in float and the optimised int8 softmax
   uses a lookup table, so they are not TFLite Micro's arithmetic).
4. With `--manifest` (`emovox index` CSV: `path`, `label`): accuracy of LiteRT and of
   emovox-tiny against the labels.

Prints a summary, writes it as JSON with `--json`, exits 1 when a check fails.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from ai_edge_litert import interpreter as litert
from ai_edge_litert import schema_py_generated as schema

# The builtins emovox writes; TensorFlow Lite Micro registers every one of them.
MICRO_BUILTINS = {
    "RESHAPE",
    "CONV_2D",
    "MAX_POOL_2D",
    "SOFTMAX",
    "BATCH_MATMUL",
    "REDUCE_MAX",
    "CONCATENATION",
    "FULLY_CONNECTED",
}


def enum_names(cls):
    return {v: k for k, v in vars(cls).items() if not k.startswith("_")}


def check_flatbuffer(buf):
    """(operator names, list of problems) of a TFLite flatbuffer."""
    problems = []
    if buf[4:8] != b"TFL3":
        problems.append("no TFL3 file identifier")
    model = schema.Model.GetRootAs(buf, 0)
    ops_names = enum_names(schema.BuiltinOperator)
    types = enum_names(schema.TensorType)
    if model.SubgraphsLength() != 1:
        problems.append(f"{model.SubgraphsLength()} subgraphs")
    sg = model.Subgraphs(0)
    ops = []
    int32_ok = set()
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = ops_names.get(builtin, f"?{builtin}")
        if code.CustomCode() is not None or name not in MICRO_BUILTINS:
            problems.append(f"operator {i} is {name} (custom: {code.CustomCode()!r})")
        ops.append(name)
        inputs = [op.Inputs(j) for j in range(op.InputsLength())]
        if name in ("CONV_2D", "FULLY_CONNECTED") and len(inputs) > 2 and inputs[2] >= 0:
            int32_ok.add(inputs[2])
        if name in ("RESHAPE", "REDUCE_MAX") and len(inputs) > 1:
            int32_ok.add(inputs[1])
        if name == "CONV_2D":
            w = sg.Tensors(inputs[1])
            q = w.Quantization()
            out_channels = w.Shape(0)
            if q is None or q.ScaleLength() != out_channels or q.QuantizedDimension() != 0:
                problems.append(f"operator {i} (CONV_2D): weights not per-channel on dimension 0")
            elif any(q.ZeroPoint(j) != 0 for j in range(q.ZeroPointLength())):
                problems.append(f"operator {i} (CONV_2D): weights not symmetric")
    for t in range(sg.TensorsLength()):
        tensor = sg.Tensors(t)
        ty = types.get(tensor.Type(), "?")
        if ty == "INT32" and t in int32_ok:
            continue
        if ty != "INT8":
            problems.append(f"tensor {t} ({tensor.Name().decode()}) is {ty}")
        elif tensor.Quantization() is None or tensor.Quantization().ScaleLength() == 0:
            problems.append(f"tensor {t} ({tensor.Name().decode()}) is int8 without quantisation")
    for kind, idx in (("input", sg.Inputs(0)), ("output", sg.Outputs(0))):
        if types.get(sg.Tensors(idx).Type()) != "INT8":
            problems.append(f"the graph {kind} is not int8")
    return ops, problems


def run(model_path, x, resolver):
    it = litert.Interpreter(
        model_path=str(model_path), num_threads=1, experimental_op_resolver_type=resolver
    )
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    if inp["dtype"] != np.int8 or out["dtype"] != np.int8:
        raise SystemExit(f"input {inp['dtype']} / output {out['dtype']}, want int8")
    ys = []
    for xi in x:
        it.set_tensor(inp["index"], xi[None])
        it.invoke()
        ys.append(it.get_tensor(out["index"])[0].copy())
    names = sorted({d["op_name"] for d in it._get_ops_details()})
    return np.stack(ys), names


def compare(y, want, classes, truth):
    diff = np.abs(y.astype(np.int32) - want.astype(np.int32))
    pred = y.argmax(axis=1)
    r = {
        "max_abs_diff_steps": int(diff.max()),
        "clips_differing": int((diff.max(axis=1) > 0).sum()),
        "labels_equal_emovox_tiny": float((pred == want.argmax(axis=1)).mean()),
    }
    if truth is not None:
        r["accuracy"] = float(np.mean([classes[p] == t for p, t in zip(pred, truth)]))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dist", type=Path)
    ap.add_argument("--manifest", type=Path, help="emovox index CSV with the clips' labels")
    ap.add_argument("--json", type=Path, help="write the summary here")
    ap.add_argument("--max-diff", type=int, default=0, help="allowed |LiteRT - emovox-tiny|")
    a = ap.parse_args()

    tflite = a.dist / "model.tflite"
    buf = tflite.read_bytes()
    ops, problems = check_flatbuffer(buf)
    info = json.loads((a.dist / "model_info.json").read_text())
    classes = info["classes"]
    x = np.load(a.dist / "inputs.npy")
    expected = json.loads((a.dist / "expected.json").read_text())
    want = np.array([c["logits"] for c in expected], dtype=np.int8)
    if x.dtype != np.int8 or len(x) != len(want):
        problems.append(f"inputs.npy is {x.dtype} {x.shape}, expected.json has {len(want)} clips")
    truth = None
    if a.manifest:
        with a.manifest.open(newline="") as f:
            labels = {r["path"]: r["label"] for r in csv.DictReader(f)}
        missing = [c["file"] for c in expected if c["file"] not in labels]
        if missing:
            raise SystemExit(f"{len(missing)} clips not in {a.manifest}, e.g. {missing[0]}")
        truth = [labels[c["file"]] for c in expected]

    y_ref, ref_ops = run(tflite, x, litert.OpResolverType.BUILTIN_REF)
    y_opt, opt_ops = run(tflite, x, litert.OpResolverType.AUTO)
    report = {
        "tflite_bytes": len(buf),
        "operators": ops,
        "builtins_only": not any("operator" in p for p in problems),
        "problems": problems,
        "clips": len(want),
        "reference_kernels": compare(y_ref, want, classes, truth),
        "default_kernels": compare(y_opt, want, classes, truth),
        "interpreter_ops": {"reference": ref_ops, "default": opt_ops},
    }
    if truth is not None:
        report["emovox_tiny_accuracy"] = float(
            np.mean([classes[c["class"]] == t for c, t in zip(expected, truth)])
        )
    if a.json:
        a.json.write_text(json.dumps(report, indent=2))

    ref, opt = report["reference_kernels"], report["default_kernels"]
    print(f"model.tflite {len(buf)} bytes, {len(ops)} operators: {', '.join(ops)}")
    print(f"checks: {'ok' if not problems else '; '.join(problems)}")
    for name, r in (("reference kernels (TFLite Micro's)", ref), ("default kernels", opt)):
        acc = f", accuracy {r['accuracy']:.4f}" if "accuracy" in r else ""
        print(
            f"LiteRT {name}: {len(want)} clips, max |LiteRT - emovox-tiny| "
            f"{r['max_abs_diff_steps']} step(s) on {r['clips_differing']} clip(s), labels equal "
            f"{r['labels_equal_emovox_tiny']:.4f}{acc}"
        )
    if truth is not None:
        print(f"emovox-tiny int8 accuracy {report['emovox_tiny_accuracy']:.4f}")
    failed = bool(problems) or ref["max_abs_diff_steps"] > a.max_diff
    if failed:
        print("FAILED", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
