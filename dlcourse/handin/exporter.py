"""Retired: the export formats Handin / Handin_skip_check (File > Save and Export Notebook As).

JupyterLab's Hand in button (server.py, labextension/) replaced them: it shows the self-check's
findings in JupyterLab instead of a server error page.  pyproject.toml still declares the two
nbconvert exporter entry points; until they go, these disabled exporters keep nbconvert's list
of formats (and so JupyterLab's export menu) loading, without offering the old formats.
Delete this file together with those entry points.
"""
from nbconvert.exporters import Exporter
from traitlets import default


class HandinExporter(Exporter):
    @default("enabled")
    def _enabled_default(self):
        return False


class HandinSkipCheckExporter(HandinExporter):
    pass
