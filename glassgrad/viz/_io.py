"""Writing pictures: standalone HTML pages (plotly, offline) and PNG files (matplotlib).

A page is written with plotly.js *beside* it, once per folder (``plotly.min.js``, from the
installed plotly package), so the HTML opens without a network and ten pages in one folder share
one copy of the library. Figures are embedded with ``include_plotlyjs=False`` and one
``<script src="plotly.min.js">`` in the head.

Example:
    >>> write_page("out/report.html", "My run", [("Loss", plot_history(history))])
"""

import html
import os

from .._atomic import atomic_write
from ..train.run_folder import PLOTLY

__all__ = ["write_page", "write_figure", "save_png", "plotly_js_path", "figure_div"]

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; }
.note { color: #555; } table { border-collapse: collapse; margin: 0.6rem 0; }
td, th { border-bottom: 1px solid #ddd; padding: 0.25rem 0.8rem; text-align: left; }
th { background: #f6f6f6; } .figure { margin: 0.8rem 0 1.6rem; }
code { background: #f3f3f3; padding: 0 0.25rem; border-radius: 3px; }
"""


def plotly_js_path(folder):
    """Write ``plotly.min.js`` into ``folder`` (once) and return its path."""
    from plotly.offline import get_plotlyjs

    os.makedirs(folder or ".", exist_ok=True)
    path = os.path.join(folder, PLOTLY)
    if not os.path.exists(path):
        with atomic_write(path, encoding="utf-8") as handle:
            handle.write(get_plotlyjs())
    return path


def figure_div(figure, div_id=None):
    """The HTML of one figure: a plotly Figure without plotly.js (the page loads it once), or an
    SVG picture (anything with ``_repr_svg_``, such as ``plot_graph``'s Graphviz output)."""
    if hasattr(figure, "_repr_svg_") and not hasattr(figure, "to_plotly_json"):
        return figure._repr_svg_()
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                          auto_play=False,
                          config={"displaylogo": False, "responsive": True})


def write_page(path, title, sections, intro=None):
    """Write an HTML page of titled sections to ``path``; returns the path.

    Args:
        path: the .html file to write (its folder gets ``plotly.min.js``).
        title: the page title (also its first heading).
        sections: a list of ``(heading, content)``; content is a plotly Figure, an SVG picture
            (``_repr_svg_``), an HTML string (inserted as is), or a list of those. An empty
            heading adds no heading.
        intro: optional HTML shown under the title.
    """
    folder = os.path.dirname(os.path.abspath(path))
    plotly_js_path(folder)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if intro:
        parts.append(f"<div class='note'>{intro}</div>")
    for heading, content in sections:
        if heading:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
        for item in content if isinstance(content, list) else [content]:
            parts.append(item if isinstance(item, str)
                         else f"<div class='figure'>{figure_div(item)}</div>")
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<script src='plotly.min.js'></script>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    with atomic_write(path, encoding="utf-8") as handle:
        handle.write(page)
    return path


def write_figure(figure, path, title=None):
    """Write one plotly figure as a standalone page (plotly.js beside it); returns the path."""
    return write_page(path, title or (figure.layout.title.text or "glassgrad"), [("", figure)])


def save_png(figure, path, dpi=120):
    """Save a matplotlib figure as PNG (headless backend) and close it; returns the path."""
    import matplotlib.pyplot as plt

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return path


def matplotlib_pyplot():
    """``matplotlib.pyplot`` with the headless Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt
