"""Graph rewriting: node rewriters registered into named phases, run in order.

Phases run in ``PHASES`` order.  A node rewriter is a function ``(fgraph, node)`` that
returns ``None`` (no change) or a list of replacement variables, one per output::

    @register("canonicalize")
    @node_rewriter([DimShuffle])
    def local_dimshuffle_merge(fgraph, node):
        '''ds2(ds1(x)) => ds(x)'''

``SYMTENSOR_DEBUG=rewrites`` prints every rewrite that fires.
"""

from symtensor.graph.rewriting.basic import (
    PHASES,
    NodeRewriter,
    merge_graph,
    node_rewriter,
    register,
    rewrite_graph,
)

__all__ = ["PHASES", "NodeRewriter", "merge_graph", "node_rewriter", "register",
           "rewrite_graph"]
