"""Printing graphs: ``debugprint`` (a text tree with types) and ``pp``."""

from __future__ import annotations

import io
import string
import sys

from symtensor.graph.basic import Constant, Variable


def _ids():
    n = 0
    while True:
        k, s = n, ""
        while True:
            s = string.ascii_uppercase[k % 26] + s
            k = k // 26 - 1
            if k < 0:
                break
        yield s
        n += 1


def debugprint(obj, file=None, print_type=True, ids="CHAR", depth=-1, done=None):
    """Print the graph of a variable, a list of variables or a compiled function.

    Each line is an apply (op, id, output name) or a leaf, children indented with
    ``|``; a node already printed is shown by its id only.  Returns the text when
    ``file='str'``.
    """
    from symtensor.compile.function import Function
    shapes, linker = {}, None
    if isinstance(obj, Function):
        roots = list(obj.fgraph.outputs)
        shapes, linker = _static_shapes(obj.fgraph), obj.mode.linker
    elif isinstance(obj, Variable):
        roots = [obj]
    elif isinstance(obj, list | tuple):
        roots = list(obj)
    else:
        raise TypeError(f"debugprint: expected a variable, list or function, got {obj!r}")
    out = io.StringIO()
    names: dict = {}
    gen = _ids()

    def label(var):
        key = var.owner if var.owner is not None else var
        if key not in names:
            names[key] = next(gen)
        return names[key]

    def walk(var, prefix, level):
        typ = f" <{var.type}>" if print_type else ""
        if shapes.get(var) is not None:
            typ += f" shape={shapes[var]}"
        if var.owner is None:
            kind = "constant " if isinstance(var, Constant) else ""
            out.write(f"{prefix}{kind}{var} [id {label(var)}]{typ}\n")
            return
        node = var.owner
        seen = node in names
        idx = f".{var.index}" if len(node.outputs) > 1 else ""
        name = f" '{var.name}'" if var.name else " ''"
        where = f" [{_device(node, linker)}]" if linker else ""
        out.write(f"{prefix}{node.op}{idx} [id {label(var)}]{name}{typ}{where}\n")
        if seen or level == depth:
            return
        for inp in node.inputs:
            walk(inp, prefix + " |", level + 1)

    for r in roots:
        walk(r, "", 0)
    text = out.getvalue()
    if file == "str":
        return text
    (file or sys.stdout).write(text)
    return file


def pp(var) -> str:
    """A one-line infix rendering of a variable's graph."""
    if var.owner is None:
        return str(var)
    return f"{var.owner.op}({', '.join(pp(i) for i in var.owner.inputs)})"


def _static_shapes(fgraph):
    """Shapes known before running: from constants and shared values, propagated
    through ``infer_shape`` with integers; None where unknown."""
    from symtensor.compile.sharedvalue import SharedVariable
    shapes = {}
    for var in fgraph.variables():
        if isinstance(var, Constant):
            shapes[var] = tuple(var.data.shape)
        elif isinstance(var, SharedVariable):
            shapes[var] = tuple(getattr(var.container.storage[0], "shape", ())) or None
    for node in fgraph.toposort():
        ins = [shapes.get(i) for i in node.inputs]
        if any(s is None for s in ins):
            continue
        try:
            outs = node.op.infer_shape(fgraph, node, ins)
            for out, shp in zip(node.outputs, outs):
                if all(isinstance(s, int) for s in shp):
                    shapes[out] = tuple(int(s) for s in shp)
        except Exception:  # an op without infer_shape, or one needing values: unknown
            continue
    return shapes


def _device(node, linker):
    if linker == "cuda":
        return "gpu"
    if linker == "numba":
        from symtensor.backends.numba.dispatch import has_kernel
        return "cpu:numba" if has_kernel(type(node.op)) else "cpu:numpy"
    return "cpu:numpy"


def pydotprint(fct, outfile=None, format="png", compact=True, return_image=False,
               print_output_file=True):
    """Draw the graph of a compiled function (or of variables) with graphviz.

    One box per apply, labelled with the op, its parameters and the device it runs
    on; edges carry dtype and shape (where known before running); inputs are green
    ellipses, shared variables blue, constants grey, outputs red.  Writes
    ``outfile`` (default ``symtensor_graph.<format>``) in ``format`` ('png', 'svg' or
    'pdf'); needs the ``graphviz`` Python package and Graphviz's ``dot`` program.
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError("pydotprint needs the graphviz package: pip install -e '.[viz]' "
                          "and Graphviz's dot program (apt-get install graphviz)") from None
    from symtensor.compile.function import Function
    from symtensor.compile.sharedvalue import SharedVariable
    from symtensor.graph.fg import FunctionGraph
    from symtensor.graph.traversal import graph_inputs

    if format not in ("png", "svg", "pdf"):
        raise ValueError(f"pydotprint: format must be 'png', 'svg' or 'pdf', got {format!r}")
    if isinstance(fct, Function):
        fgraph, linker, n_out = fct.fgraph, fct.mode.linker, fct.n_out
    else:
        outs = [fct] if isinstance(fct, Variable) else list(fct)
        ins = [v for v in graph_inputs(outs) if not isinstance(v, Constant)]
        fgraph, linker, n_out = FunctionGraph(ins, outs), "py", len(outs)
    shapes = _static_shapes(fgraph)
    dot = graphviz.Digraph(format=format)
    dot.attr(rankdir="TB")
    ids: dict = {}

    def vid(var):
        return ids.setdefault(var, f"v{len(ids)}")

    def edge_label(var):
        shp = shapes.get(var)
        dtype = getattr(var.type, "dtype", str(var.type))
        return f"{dtype} {shp}" if shp is not None else dtype

    for var in fgraph.variables():
        if var.owner is not None:
            continue
        if isinstance(var, Constant):
            if compact and getattr(var.data, "size", 2) == 1:
                continue
            dot.node(vid(var), str(var), shape="box", style="filled", fillcolor="lightgrey")
        elif isinstance(var, SharedVariable):
            dot.node(vid(var), f"shared {var}", shape="ellipse", style="filled",
                     fillcolor="lightblue")
        else:
            dot.node(vid(var), str(var), shape="ellipse", style="filled",
                     fillcolor="palegreen")
    for k, node in enumerate(fgraph.toposort()):
        name = f"n{k}"
        dot.node(name, f"{node.op}\n[{_device(node, linker)}]", shape="box")
        for inp in node.inputs:
            if inp.owner is not None:
                src = ids.get(("apply", inp.owner))
            elif compact and isinstance(inp, Constant) and getattr(inp.data, "size", 2) == 1:
                src = f"c{id(inp)}"
                dot.node(src, str(inp), shape="plaintext")
            else:
                src = vid(inp)
            dot.edge(src, name, label=edge_label(inp))
        ids[("apply", node)] = name
    for i, out in enumerate(fgraph.outputs):
        kind = "output" if i < n_out else "update"
        oid = f"out{i}"
        dot.node(oid, f"{kind} {i}", shape="ellipse", style="filled",
                 fillcolor="salmon" if kind == "output" else "khaki")
        src = ids.get(("apply", out.owner)) if out.owner is not None else vid(out)
        dot.edge(src, oid, label=edge_label(out))
    outfile = str(outfile or f"symtensor_graph.{format}")
    stem = outfile[: -len(format) - 1] if outfile.endswith("." + format) else outfile
    written = dot.render(filename=stem, cleanup=True)
    if print_output_file:
        print(f"The output file is available at {written}")
    if return_image:
        with open(written, "rb") as f:
            return f.read()
    return written
