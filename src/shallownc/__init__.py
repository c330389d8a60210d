"""shallownc: when does neural collapse happen in shallow ReLU networks?

Reproduction and extension of Hong & Ling, arXiv 2409.01832. Modules are named after the
mathematics: data, feasibility, phase (grids of feasibility experiments), plotting, io, config.
"""

__version__ = "0.1.0"
