"""What every lab experiment shares: the result, the summary table, the figures and the page.

An experiment builds its rows (one dict per variant: an optimizer, a learning rate, ...) and its
figures, then calls ``finish``, which writes ``index.html`` (the explanation, the interactive
plotly figures and the table), the static PNGs (matplotlib) and returns a ``LabResult``.

Figures made of plain line or bar panels are described once, as ``panel(...)`` dicts, and drawn
twice: ``plotly_panels`` for the page and ``png_panels`` for the PNG, so both show the same thing.

Example:
    >>> curves = panel("Loss", "epoch", "loss", [series("Adam", epochs, losses)], log_y=True)
    >>> finish("optimizers", "Optimizers", folder, intro, [("Loss", plotly_panels([curves]))],
    ...        {"loss_curves.png": [curves]}, rows, COLUMNS)
"""

import html
import math
import os

__all__ = ["LabResult", "finish", "panel", "series", "plotly_panels", "png_panels",
           "text_table", "html_table", "colour", "finite_or_none", "pyplot"]

# plotly's default colours, used by both the page and the PNGs so a variant keeps its colour
PALETTE = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692",
           "#b6e880"]
PANEL_HEIGHT = 360


def colour(index):
    """The colour of the ``index``-th variant (the same on the page and in the PNGs)."""
    return PALETTE[index % len(PALETTE)]


class LabResult:
    """What one experiment produced: the summary rows, the folder and the files written.

    Attributes:
        name: the experiment (``"optimizers"``).
        title: the page title.
        rows: the summary table, one dict per variant (numbers as floats, names as strings).
        columns: ``[(key, header, format)]``: the table's columns and how to print them.
        folder: where ``index.html`` and the PNGs are.
        files: the paths of the files written (page, plotly.min.js, PNGs).
        notes: lines printed under the table (reference values, what to look at).
    """

    def __init__(self, name, title, rows, columns, folder, files, notes=()):
        self.name = name
        self.title = title
        self.rows = rows
        self.columns = columns
        self.folder = folder
        self.files = files
        self.notes = list(notes)

    @property
    def page(self):
        return os.path.join(self.folder, "index.html")

    def table(self):
        """The summary table as aligned plain text (what ``glassgrad lab`` prints)."""
        return text_table(self.rows, self.columns)

    def __repr__(self):
        return (f"LabResult(name={self.name!r}, rows={len(self.rows)}, "
                f"folder={self.folder!r}, files={len(self.files)})")


def format_value(value, spec):
    """One table cell: ``spec`` is a format spec (".4f") or a function value -> str."""
    if value is None:
        return "-"
    if callable(spec):
        return spec(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str) or not spec:
        return str(value)
    return format(value, spec)


def _cells(rows, columns):
    header = [title for _, title, _ in columns]
    body = [[format_value(row.get(key), spec) for key, _, spec in columns] for row in rows]
    numeric = [all(_is_number(row.get(key)) for row in rows) for key, _, _ in columns]
    return header, body, numeric


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) or value is None


def text_table(rows, columns):
    """Rows as aligned plain text: a header, a rule, one line per row (numbers right-aligned)."""
    header, body, numeric = _cells(rows, columns)
    widths = [max(len(cell) for cell in column) for column in zip(header, *body)]

    def line(cells):
        parts = [cell.rjust(width) if right else cell.ljust(width)
                 for cell, width, right in zip(cells, widths, numeric)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])


def html_table(rows, columns):
    """Rows as an HTML table (the same cells as ``text_table``)."""
    header, body, numeric = _cells(rows, columns)
    style = [" style='text-align:right'" if right else "" for right in numeric]
    head = "".join(f"<th{s}>{html.escape(cell)}</th>" for cell, s in zip(header, style))
    lines = ["<table>", f"<tr>{head}</tr>"]
    for cells in body:
        row = "".join(f"<td{s}>{html.escape(cell)}</td>" for cell, s in zip(cells, style))
        lines.append(f"<tr>{row}</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def finite_or_none(values):
    """Floats with inf/nan replaced by None (plotly leaves a gap; JSON has no inf)."""
    return [float(v) if v is not None and math.isfinite(v) else None for v in values]


def series(name, x, y, colour=None, dash=False, markers=False, lines=True, width=2.0):
    """One line of a panel (or one group of bars in a bar panel)."""
    return {"name": name, "x": list(x), "y": [None if v is None else float(v) for v in y],
            "colour": colour, "dash": dash, "markers": markers, "lines": lines, "width": width}


def panel(title, xlabel, ylabel, lines, log_y=False, bar=False, log_x=False, categories=False,
          y_range=None):
    """A panel of a figure: its titles and its series; ``bar`` draws grouped bars.

    ``categories`` treats x as labels (evenly spaced, in order) instead of numbers;
    ``y_range`` = (low, high) fixes a linear y axis (values outside are cut off).
    """
    return {"title": title, "xlabel": xlabel, "ylabel": ylabel, "series": lines,
            "log_y": log_y, "log_x": log_x, "bar": bar, "categories": categories or bar,
            "y_range": y_range}


def plotly_panels(panels, title=None, cols=1, height=None):
    """The panels as one plotly figure (a grid of ``cols`` columns)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = math.ceil(len(panels) / cols)
    figure = make_subplots(rows=rows, cols=cols, subplot_titles=[p["title"] for p in panels],
                           vertical_spacing=0.22 / max(rows, 1) + 0.06,
                           horizontal_spacing=0.1)
    seen = set()
    for index, spec in enumerate(panels):
        row, col = index // cols + 1, index % cols + 1
        for item in spec["series"]:
            show = item["name"] not in seen
            seen.add(item["name"])
            common = dict(x=item["x"], y=finite_or_none(item["y"]), name=item["name"],
                          legendgroup=item["name"], showlegend=show)
            if spec["bar"]:
                trace = go.Bar(marker_color=item["colour"], **common)
            else:
                mode = "+".join(m for m, on in (("lines", item["lines"]),
                                                ("markers", item["markers"])) if on)
                trace = go.Scatter(mode=mode, line=dict(color=item["colour"], width=item["width"],
                                                        dash="dash" if item["dash"] else None),
                                   marker=dict(color=item["colour"], size=7), **common)
            figure.add_trace(trace, row=row, col=col)
        figure.update_xaxes(title_text=spec["xlabel"], row=row, col=col,
                            type="log" if spec["log_x"] else
                            "category" if spec["categories"] else None)
        figure.update_yaxes(title_text=spec["ylabel"], row=row, col=col,
                            type="log" if spec["log_y"] else None, exponentformat="e"
                            if spec["log_y"] else None, range=spec["y_range"])
    figure.update_layout(title=title, height=height or PANEL_HEIGHT * rows + 100,
                         barmode="group", hovermode="closest", template="plotly_white")
    return figure


def pyplot():
    """matplotlib.pyplot on the headless Agg backend."""
    from ..viz._io import matplotlib_pyplot

    return matplotlib_pyplot()


def png_panels(panels, path, title=None, cols=1):
    """The panels as a matplotlib figure saved to ``path`` (PNG); returns the path."""
    from ..viz._io import save_png

    plt = pyplot()
    rows = math.ceil(len(panels) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.8 * rows), squeeze=False)
    for index, spec in enumerate(panels):
        _draw_panel(axes[index // cols][index % cols], spec)
    for index in range(len(panels), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return save_png(figure, path)


def _draw_panel(axis, spec):
    import numpy as np

    groups = spec["series"]
    if spec["bar"]:
        labels = [str(x) for x in groups[0]["x"]] if groups else []
        width = 0.8 / max(len(groups), 1)
        for i, item in enumerate(groups):
            positions = np.arange(len(labels)) + (i - (len(groups) - 1) / 2) * width
            heights = [np.nan if v is None else v for v in item["y"]]
            axis.bar(positions, heights, width, label=item["name"], color=item["colour"])
        axis.set_xticks(np.arange(len(labels)), labels)
    else:
        for item in groups:
            style = ("--" if item["dash"] else "-") if item["lines"] else "none"
            x = item["x"]
            if spec["categories"]:
                x = list(range(len(x)))
                axis.set_xticks(x, [str(v) for v in item["x"]])
            y = [np.nan if v is None else v for v in item["y"]]
            axis.plot(x, y, linestyle=style, marker="o" if item["markers"] else None,
                      markersize=4, color=item["colour"], label=item["name"],
                      linewidth=item["width"])
    if spec["log_y"]:
        axis.set_yscale("log")
    if spec["log_x"]:
        axis.set_xscale("log")
    if spec["y_range"]:
        axis.set_ylim(*spec["y_range"])
    axis.set_title(spec["title"])
    axis.set_xlabel(spec["xlabel"])
    axis.set_ylabel(spec["ylabel"])
    axis.grid(True, alpha=0.3)
    if len(groups) > 1 or (groups and groups[0]["name"]):
        axis.legend(fontsize=8)


def settings_html(settings):
    """The settings of the run as a small definition list."""
    items = "".join(f"<li><b>{html.escape(key)}</b>: {html.escape(str(value))}</li>"
                    for key, value in settings.items())
    return f"<ul>{items}</ul>"


def finish(name, title, folder, intro, sections, pngs, rows, columns, notes=(), settings=None):
    """Write the page and the PNGs of an experiment; returns its ``LabResult``.

    Args:
        name: the experiment's name.
        title: the page title.
        folder: the experiment's folder (created if needed).
        intro: the explanation, as HTML paragraphs.
        sections: ``[(heading, plotly figure or HTML)]`` for the page, in order.
        pngs: ``{file name: list of panels, or a function path -> path}``: the static pictures.
        rows, columns: the summary table (see ``LabResult``).
        notes: plain-text lines shown under the table.
        settings: ``{setting: value}`` shown on the page (epochs, learning rate, data...).
    """
    from ..viz._io import write_page

    os.makedirs(folder, exist_ok=True)
    files = []
    for file_name, drawing in pngs.items():
        path = os.path.join(folder, file_name)
        if callable(drawing):
            drawing(path)
        else:
            png_panels(drawing, path)
        files.append(path)
    summary = html_table(rows, columns)
    if notes:
        summary += "".join(f"<p class='note'>{html.escape(line)}</p>" for line in notes)
    page_sections = [*sections, ("Summary", summary)]
    if settings:
        page_sections.append(("Settings", settings_html(settings)))
    pictures = ", ".join(f"<a href='{html.escape(os.path.basename(p))}'>"
                         f"{html.escape(os.path.basename(p))}</a>" for p in files)
    page_sections.append(("", f"<p class='note'>Static pictures: {pictures}. Made by "
                              f"<code>glassgrad lab {html.escape(name)}</code>.</p>"))
    page = write_page(os.path.join(folder, "index.html"), title, page_sections, intro=intro)
    files = [page, os.path.join(folder, "plotly.min.js"), *files]
    return LabResult(name, title, rows, columns, folder, files, notes)
