"""The twin's census over PyTorch's own module test database: one snippet per module class.

For every ModuleInfo of ``torch.testing._internal.common_modules.module_db``, its first CPU
float32 sample (training mode) is written out as snippet text: the constructor's arguments at
module level, the forward arguments returned by ``inputs()``. Tensors become
``torch.tensor(<values>, dtype=...)`` literals (integer and boolean ones always, so targets
and indices stay exact); a large floating one becomes a seeded ``torch.randn``/``torch.rand``
of its shape. Each snippet goes through ``twin.compare`` in this process (the snippets are
generated here, not a user's). Run by hand:

    .venv/bin/python bench/twin_census.py [--out artifacts/twin_census.txt] [--only Conv2d]

Prints one row per class (equivalent, not equivalent, no-twin with its reason, or the error)
and the share of classes with an equivalent twin (issue 11's target: at least 85%).
"""
from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

TARGET = 0.85
LITERAL_LIMIT = 256  # floating tensors up to this many elements are written value by value
SNIPPET = """import torch
import torch.nn as nn

{module_level}


def inputs():
    return ({inputs},)


def forward({params}):
    {body}
"""


class SampleError(Exception):
    """module_db's sample does not run in PyTorch itself: nothing for a twin to match."""


@dataclass
class Row:
    """One module class of the census: what its snippet got."""

    name: str
    outcome: str        # equivalent, not-equivalent, no-twin, error, torch-error, unwritable
    detail: str = ""    # no-twin reason and construct, or the error's first line

    @property
    def equivalent(self) -> bool:
        return self.outcome == "equivalent"


def tensor_literal(t: torch.Tensor) -> str:
    """Snippet text that makes ``t`` again: its values, or seeded noise of its shape where
    a floating tensor is too large to write out (values kept in its range: rand for [0, 1])."""
    grad = ", requires_grad=True" if t.requires_grad else ""
    t = t.detach()
    dtype = f"dtype={t.dtype}"
    if t.dtype.is_floating_point and t.numel() > LITERAL_LIMIT:
        shape = ", ".join(str(s) for s in t.shape)
        low, high = float(t.min()), float(t.max())
        maker = "torch.rand" if low >= 0.0 and high <= 1.0 else "torch.randn"
        return f"{maker}({shape}, {dtype}{grad})"
    values = repr(t.tolist())
    if t.dtype.is_floating_point and not bool(torch.isfinite(t).all()):
        values = values.replace("inf", 'float("inf")').replace("nan", 'float("nan")')
    return f"torch.tensor({values}, {dtype}{grad})"


def _encoder_layer(layer: torch.nn.Module) -> str:
    """A TransformerEncoderLayer argument (TransformerEncoder's), from its own attributes."""
    return (f"nn.TransformerEncoderLayer({layer.self_attn.embed_dim}, "
            f"{layer.self_attn.num_heads}, dim_feedforward={layer.linear1.out_features}, "
            f"dropout={layer.dropout.p!r}, batch_first={layer.self_attn.batch_first!r}, "
            f"norm_first={layer.norm_first!r})")


# Module arguments of a constructor, by class: how to write one as text.
MODULE_ARGUMENTS = {"TransformerEncoderLayer": _encoder_layer}


def literal(value: object) -> str:
    """Python text for a sample's argument: tensors, containers, numbers, dtypes, modules."""
    if isinstance(value, torch.Tensor):
        return tensor_literal(value)
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, torch.nn.Module):
        writer = MODULE_ARGUMENTS.get(type(value).__name__)
        if writer is None:
            raise ValueError(f"cannot write a {type(value).__name__} argument")
        return writer(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, (tuple, list)):
        items = [literal(v) for v in value]
        if isinstance(value, tuple):
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        return f"[{', '.join(items)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if callable(value) and getattr(value, "__module__", "") == "torch.nn.functional":
        return f"torch.nn.functional.{value.__name__}"
    raise ValueError(f"cannot write a {type(value).__name__} argument")


def _has_tensor(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, torch.Tensor):
            return True
        if isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def leaf_paths(result: object) -> list[tuple[int, ...]]:
    """Where the tensors of a module's result are: () for a tensor, else index paths through
    its tuples, in order (an LSTM's ``output, (h, c)`` -> (0,), (1, 0), (1, 1))."""
    paths, stack = [], [((), result)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, torch.Tensor):
            paths.append(path)
        elif isinstance(item, (tuple, list)):
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(item))))
    return paths


def return_statement(call: str, paths: list[tuple[int, ...]]) -> str:
    """forward's body: the module's result as a tensor or a flat tuple of tensors, as the
    snippet contract asks."""
    if paths == [()]:
        return f"return module({call})"
    picks = ", ".join("out" + "".join(f"[{i}]" for i in path) for path in paths)
    return f"out = module({call})\n    return {picks}"


def snippet_for(module_info: object) -> str:
    """The snippet of ``module_info``'s first CPU float32 training sample."""
    torch.manual_seed(0)
    sample = module_info.module_inputs_func(module_info, device="cpu", dtype=torch.float32,
                                            requires_grad=True, training=True)[0]
    ctor, fwd = sample.constructor_input, sample.forward_input
    ctor_args = [literal(a) for a in ctor.args] + [f"{k}={literal(v)}"
                                                   for k, v in ctor.kwargs.items()]
    module_level = f"module = nn.{module_info.module_cls.__name__}({', '.join(ctor_args)})"
    values, params, call = [], [], []
    for i, arg in enumerate(fwd.args):
        values.append(literal(arg))
        params.append(f"a{i}")
        call.append(f"a{i}")
    for key, value in fwd.kwargs.items():
        if _has_tensor(value):  # tensors arrive through inputs(), by keyword
            values.append(literal(value))
            params.append(key)
            call.append(f"{key}={key}")
        else:
            call.append(f"{key}={literal(value)}")
    try:
        module = module_info.module_cls(*ctor.args, **ctor.kwargs)
        paths = leaf_paths(module(*fwd.args, **fwd.kwargs))
    except Exception as exc:  # module_db's own sample may fail (a dtype it does not test)
        raise SampleError(f"the sample fails in torch itself: {type(exc).__name__}: "
                          f"{exc}") from None
    return SNIPPET.format(module_level=module_level, inputs=", ".join(values),
                          params=", ".join(params), body=return_statement(", ".join(call), paths))


def row_for(name: str, result: dict) -> Row:
    status = result.get("status")
    if status == "ok":
        return Row(name, "equivalent" if result["equivalent"] else "not-equivalent",
                   "" if result["equivalent"] else result["message"].splitlines()[0][:160])
    if status == "no-twin":
        return Row(name, "no-twin", f"{result['reason']}: line {result.get('line')} uses "
                                    f"{result.get('construct')}")
    return Row(name, "error", (result.get("message") or str(status)).splitlines()[0][:160])


def census(only: str | None = None) -> list[Row]:
    """Write and check one snippet per module class of module_db."""
    from torch.testing._internal.common_modules import module_db  # needs expecttest

    from explorer.twin import compare  # imports TensorFlow

    rows = []
    for info in module_db:
        name = info.module_cls.__name__
        if only and name != only:
            continue
        try:
            code = snippet_for(info)
        except SampleError as exc:
            rows.append(Row(name, "torch-error", str(exc)[:160]))
            continue
        except Exception as exc:  # a sample the writer cannot express
            rows.append(Row(name, "unwritable", f"{type(exc).__name__}: {exc}"[:160]))
            continue
        try:
            rows.append(row_for(name, compare(code)))
        except Exception as exc:  # the check itself broke: a bug to report, not a no-twin
            rows.append(Row(name, "error", f"{type(exc).__name__}: {exc}".splitlines()[0][:160]))
    return rows


def table(rows: list[Row]) -> str:
    """The census as text: one row per class, then the total against the target."""
    width = max((len(r.name) for r in rows), default=10) + 2
    lines = [f"{r.name:<{width}}{r.outcome:<16}{r.detail}".rstrip() for r in rows]
    done = sum(r.equivalent for r in rows)
    share = done / len(rows) if rows else 0.0
    lines.append(f"\n{done} of {len(rows)} module classes have an equivalent twin: "
                 f"{share:.0%} (target {TARGET:.0%})")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--only", help="one module class, e.g. Conv2d")
    parser.add_argument("--show", action="store_true", help="print the snippet (with --only)")
    args = parser.parse_args()
    if args.show and args.only:
        from torch.testing._internal.common_modules import module_db

        print(next(snippet_for(i) for i in module_db if i.module_cls.__name__ == args.only))
    start = time.perf_counter()
    text = table(census(args.only))
    print(text + f"({time.perf_counter() - start:.0f} s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
