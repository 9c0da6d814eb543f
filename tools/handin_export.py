"""The hand-in from JupyterLab's menu: File > Save and Export Notebook As > Handin.

An nbconvert exporter, registered as the export format `handin` (entry point in
the student kit's pyproject.toml), so JupyterLab lists it among its export
formats; no lab extension is needed.  JupyterLab saves the notebook and asks
the server for the export; the server hands the saved notebook to this
exporter, which makes the PDF and the zip exactly as
`python -m tools.handin <notebook> --student <id> --no-check` does, leaves the
zip next to the notebook (<assignment>_<notebook>_<id>.zip) and sends it to
the browser as the download <notebook>_<id>.zip.  The self-check is nbgrader's
Validate button (the same checks).  The student id comes from $HANDIN_STUDENT,
which `make lab student=<id>` sets.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from nbconvert.exporters import Exporter
from traitlets import Unicode

from tools import handin

ENV_STUDENT = "HANDIN_STUDENT"


class HandinExporter(Exporter):
    export_from_notebook = "Hand-in (PDF + zip)"
    output_mimetype = "application/zip"
    student = Unicode("", help=f"The student id in the zip's name (default: ${ENV_STUDENT}).").tag(config=True)

    def _file_extension_default(self):
        return ".zip"

    def from_notebook_node(self, nb, resources=None, **kw):
        nb, resources = super().from_notebook_node(nb, resources, **kw)
        student = self.student or os.environ.get(ENV_STUDENT, "")
        if not handin.safe_name(student):
            raise handin.HandinError(
                "your student id is not set: close JupyterLab (File > Shut Down) and start it again with "
                "`make lab student=<your id>`, or run `make handin nb=<notebook> student=<your id>`.")
        meta = resources.get("metadata", {})
        if not meta.get("path") or not meta.get("name"):
            raise handin.HandinError("the notebook is not a saved file; save it in the course folder first.")
        nb_path = Path(meta["path"]) / f"{meta['name']}.ipynb"
        zip_path = handin.handin(nb_path, student, check=False, stream=io.StringIO())
        resources["output_extension"] = f"_{handin.safe_name(student)}.zip"   # download: <notebook>_<id>.zip
        return zip_path.read_bytes(), resources
