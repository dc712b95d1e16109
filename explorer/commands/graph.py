"""``graph``: the graph one run built, as JSON, DOT or SVG."""
from __future__ import annotations

import argparse
import sys

from explorer import render
from explorer.commands import add_snippet_arguments, fail, read_snippet, run_job, write_output
from explorer.graph import Graph
from explorer.modes import draw

HELP = ("capture the graph of a snippet (torch autograd, its tf.function twin, or one of "
        "PyTorch's own graph modes: compile, export, torchscript)")
JOB = {"torch": "graph", "tf": "tf_graph", "compile": "modes", "export": "modes",
       "torchscript": "modes"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snippet_arguments(parser)
    parser.add_argument("--framework", default="torch", choices=tuple(JOB))
    parser.add_argument("--format", default="json", choices=("json", "dot", "svg", "png"))
    parser.add_argument("--view", default="auto", choices=render.VIEWS,
                        help="full: every node; rolled: repeated chains drawn once with x N; "
                             f"auto: rolled above {render.ROLL_BUDGET} nodes")
    parser.add_argument("-o", "--output", help="write here instead of stdout")


def main(args: argparse.Namespace) -> int:
    request = {"code": read_snippet(args.snippet), "seed": args.seed, "device": args.device}
    if JOB[args.framework] == "modes":
        request["mode"] = args.framework
    result = run_job(JOB[args.framework], request, args.timeout or None)
    if result.get("status") == "unsupported" and (result.get("rewrite") or {}).get("graph"):
        # torch.export refused; the graph is that of the same code written with torch.cond
        print(f"torch.export refused: {result['message']} The graph below is of the "
              "torch.cond / while_loop rewrite (python -m explorer graph --framework export "
              "--format json on it gives the same).", file=sys.stderr)
        result = {**result["rewrite"], "status": "ok"}
    if result.get("status") != "ok":
        if result.get("rewrite_problem"):  # export refused, and the torch.cond rewrite too
            print(f"No torch.cond rewrite either: {result['rewrite_problem']}", file=sys.stderr)
        return fail(result)
    if args.format == "json":
        write_output(Graph.from_json(result["graph"]).dumps(indent=1), args.output)
        return 0
    graph = Graph.from_json(result["graph"])
    # PyTorch's modes: compile's FX graphs with the breaks between them; export's and
    # TorchScript's graph with its branches (cond, prim::If blocks) below their op
    dot = draw.to_dot(graph) if JOB[args.framework] == "modes" else render.to_dot(graph, args.view)
    if args.format == "dot":
        write_output(dot, args.output)
        return 0
    try:
        write_output(render.run_dot(dot, args.format), args.output)
    except render.RenderError as err:
        return fail({"message": str(err)})
    return 0
