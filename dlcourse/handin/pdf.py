"""The hand-in PDF: the notebook as JupyterLab shows it, printed by a Chromium-based browser.

nbconvert renders the notebook with a child of its `lab` template
(templates/handin_pdf: no remote scripts, the print style sheet, a header line,
code lines that wrap with a hanging indent) and MathJax 3 -- JupyterLab's major
version, so maths reads the same in both -- from the files pip installed (the
`django-static-mathjax` package: MathJax's own distribution, nothing of Django
is used); nothing comes from the system or the network.  The browser
(dlcourse/handin/browser.py) prints the page.  The PDF shows the notebook as
saved: run all cells and save first.
"""
from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import nbformat

from dlcourse.handin.browser import print_to_pdf
from dlcourse.handin.errors import HandinError

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "handin_pdf"
CSS = TEMPLATES / TEMPLATE / "pdf_style.css"
MATHJAX_PACKAGE = "mathjax"                     # import name of the django-static-mathjax distribution
MATHJAX_FILE = "static/mathjax/es5/tex-chtml-full.js"
HANG = 4   # a wrapped code line continues this many characters right of its own indentation


class MathJaxMissing(HandinError):
    pass


def find_mathjax() -> Path:
    """MathJax 3's combined TeX-to-HTML file, as pip installed it."""
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    path = Path(spec.origin).parent / MATHJAX_FILE if spec and spec.origin else None
    if path is None or not path.is_file():
        raise MathJaxMissing("MathJax 3 is not installed, so the PDF cannot typeset maths: "
                             "run `python -m pip install django-static-mathjax` (the course's set-up does).")
    return path


def code_lines(source: str, lexer_name: str = "ipython3") -> list[dict]:
    """A code cell's lines, highlighted by Pygments (as nbconvert highlights code), each with the
    hanging indent its wrapped continuation gets: its own indentation plus HANG characters."""
    from markupsafe import Markup
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lexer_name or "ipython3", stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = get_lexer_by_name("text", stripnl=False, ensurenl=False)
    # Pygments closes and reopens its spans at every line break, so each line is whole HTML
    htmls = highlight(source, lexer, HtmlFormatter(nowrap=True)).split("\n")
    texts = source.split("\n")
    htmls += [""] * (len(texts) - len(htmls))
    return [{"html": Markup(html), "hang": len(text) - len(text.lstrip(" ")) + HANG}
            for text, html in zip(texts, htmls)]


def notebook_html(nb, *, title: str, header: str = "") -> str:
    """The notebook as one self-contained HTML page that needs no network."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    # tqdm's progress bars (widgets) print their text: nothing renders widgets in a PDF
    priority = [m for m in HTMLExporter().default_config.NbConvertBase.display_data_priority
                if m != "application/vnd.jupyter.widget-view+json"]
    exporter = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)],
                            embed_images=True, mathjax_url=find_mathjax().as_uri(),
                            config=Config({"NbConvertBase": {"display_data_priority": priority}}))
    exporter.register_filter("code_lines", code_lines)
    lexer = nb.get("metadata", {}).get("language_info", {}).get("pygments_lexer") or "ipython3"
    resources = {"metadata": {"name": title}, "handin_css": CSS.read_text(encoding="utf-8"),
                 "handin_header": header, "pygments_lexer": lexer}
    body, _ = exporter.from_notebook_node(nbformat.from_dict(nb), resources=resources)
    return body


def export_pdf(nb_path: Path, pdf: Path, *, header: str = "") -> Path:
    nb_path, pdf = Path(nb_path), Path(pdf)
    nb = nbformat.read(nb_path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="handin-html-") as tmp:
        page = Path(tmp) / (nb_path.stem + ".html")
        page.write_text(notebook_html(nb, title=nb_path.stem, header=header), encoding="utf-8")
        print_to_pdf(page, pdf.resolve())
    return pdf
