"""glassgrad.viz: pictures of learning, drawn from real runs (plotly pages, matplotlib PNGs).

Not imported by ``import glassgrad``; plotly and matplotlib are imported when a picture is drawn.
"""

import importlib

_PUBLIC = {
    "plot_history": "curves", "plot_schedule": "curves",
    "plot_weights": "weights", "plot_health": "weights",
    "plot_network": "network",
    "plot_graph": "graph", "explain_figure": "explained",
    "plot_landscape": "landscape",
    "regression_explorer": "explorer",
    "write_page": "_io", "write_figure": "_io", "save_png": "_io",
    "build_report": "report",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'glassgrad.viz' has no attribute {name!r}")
