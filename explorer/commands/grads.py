"""``grads``: every leaf's gradient, the gradient out of every autograd node, the order the
engine ran them, and the bytes kept for backward; optionally a finite-difference check."""
from __future__ import annotations

import argparse
import json

from explorer.commands import add_snippet_arguments, fail, read_snippet, run_job, write_output

HELP = "gradients of one run: leaves, autograd nodes, backward order, saved bytes"
ISSUE_KEYS = ("leaves", "nodes", "order", "saved_bytes")
EXTRA_KEYS = ("edges", "saved", "gradcheck", "timings")


def _index(text: str) -> list[int]:
    """``0,3`` or ``[0, 3]`` -> ``[0, 3]``; empty (or ``[]``) for a 0-d tensor."""
    text = text.strip().strip("[]()")
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"index must be integers like 0,3, not {text!r}") \
            from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snippet_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--gradcheck", action="store_true",
                        help="check autograd against central finite differences in float64")
    parser.add_argument("--input-scale", type=float, metavar="X",
                        help="multiply every floating input tensor by X before forward")
    parser.add_argument("--input", nargs=3, action="append", default=[],
                        metavar=("NAME", "INDEX", "VALUE"),
                        help="set one element of an input, e.g. --input x 0,3 1.5 (repeatable)")
    parser.add_argument("--param", nargs=3, action="append", default=[],
                        metavar=("NAME", "INDEX", "VALUE"),
                        help="set one element of a parameter, e.g. --param linear_layer.weight "
                             "0,3 0.5 (repeatable)")
    parser.add_argument("--with-graph", action="store_true",
                        help="include the torch graph JSON (key 'graph') in --json output")
    parser.add_argument("-o", "--output", help="write here instead of stdout")


def _elements(triples: list[list[str]], flag: str) -> list[dict]:
    edits = []
    for name, index, value in triples:
        try:
            edits.append({"name": name, "index": _index(index), "value": float(value)})
        except (argparse.ArgumentTypeError, ValueError) as err:
            raise SystemExit(f"error: {flag} {name} {index} {value}: {err}") from None
    return edits


def build_request(args: argparse.Namespace) -> dict:
    request = {"code": read_snippet(args.snippet), "seed": args.seed, "device": args.device,
               "gradcheck": args.gradcheck,
               "input_element": _elements(args.input, "--input"),
               "param_element": _elements(args.param, "--param")}
    if args.input_scale is not None:
        request["input_scale"] = args.input_scale
    return request


def main(args: argparse.Namespace) -> int:
    result = run_job("grads", build_request(args), args.timeout or None)
    if result.get("status") != "ok":
        return fail(result)
    if args.json:
        keys = ISSUE_KEYS + EXTRA_KEYS + (("graph",) if args.with_graph else ())
        write_output(json.dumps({k: result[k] for k in keys if k in result}, indent=1),
                     args.output)
    else:
        write_output(tables(result), args.output)
    return 0


# -- readable tables ---------------------------------------------------------------------

def _num(value: float | str | None) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else f"{value:.3e}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    return ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
            for row in [header, *rows]]


def tables(result: dict) -> str:
    """Leaves, then nodes in the order backward ran them, then bytes and the check."""
    out = ["Leaf gradients"]
    out += _table(["leaf", "kind", "shape", "norm", "min", "max", "mean", "flag"],
                  [[name, l["kind"], str(tuple(l["shape"])), _num(l["norm"]), _num(l["min"]),
                    _num(l["max"]), _num(l["mean"]), l["flag"] or ("" if l["used"] else "unused")]
                   for name, l in result["leaves"].items()])
    nodes = result["nodes"]
    out += ["", "Backward, in the order the engine ran it (grad_norm: gradient out of the node)"]
    out += _table(["step", "node", "op", "grad_norm", "saved bytes", "flag"],
                  [[str(k), node_id, nodes[node_id]["op"], _num(nodes[node_id]["grad_norm"]),
                    str(nodes[node_id].get("saved_bytes", 0)), nodes[node_id]["flag"] or ""]
                   for k, node_id in enumerate(result["order"])])
    saved = result["saved"]
    out += ["", f"Saved for backward: {saved['total_bytes']:,} bytes in {saved['storages']} "
                f"storage(s), {saved['tensors']} saved tensor(s); {saved['leaf_bytes']:,} of "
                "them belong to parameters and inputs"]
    check = result.get("gradcheck")
    if check:
        out.append("")
        out.append(gradcheck_line(check))
    return "\n".join(out) + "\n"


def gradcheck_line(check: dict) -> str:
    if check.get("error"):
        return f"Gradient check failed to run: {check['error']['message']}"
    verdict = {True: "PASSED", False: "FAILED", None: "nothing checked"}[check["ok"]]
    return (f"Gradient check (float64, central differences, eps {check['eps']:g}): {verdict}; "
            f"{check['checked']} of {check['elements']} elements checked"
            f"{'' if check['complete'] else ' (time budget reached)'}, max abs error "
            f"{_num(check['max_abs_error'])}, max rel error {_num(check['max_rel_error'])} "
            f"(tolerance {check['atol']:g} + {check['rtol']:g} * |numeric|)"
            + (f"; no path in the graph to {', '.join(check['cut'])}, though they change "
               "the output (detach / no_grad)" if check.get("cut") else ""))
