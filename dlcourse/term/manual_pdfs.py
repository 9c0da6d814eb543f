"""The PDFs of one assignment, gathered for grading the written answers by hand.

    manual/<ps>/<student>.pdf                (<student>_<notebook>.pdf for a two-notebook assignment)
    manual/<ps>/<ps>_all_students.pdf        every PDF in one file, with a bookmark per student

so TAs can read the written answers side by side with formgrader.  Built from the PDFs the
hand-ins carry in submitted/<student>/<ps>/.
"""
from __future__ import annotations

import shutil
from pathlib import Path


def gather_pdfs(course: Path, ps: str) -> Path | None:
    """Copy each hand-in's PDF to manual/<ps>/ and merge them; returns the merged PDF (None if none)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    out = course / "manual" / ps
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    pdfs = sorted((course / "submitted").glob(f"*/{ps}/*.pdf"))
    if not pdfs:
        return None
    per_student = len({p.stem for p in pdfs}) > 1
    writer = PdfWriter()
    unreadable = []
    for pdf in pdfs:
        student = pdf.parent.parent.name
        name = f"{student}_{pdf.stem}.pdf" if per_student else f"{student}.pdf"
        shutil.copy(pdf, out / name)
        try:
            reader = PdfReader(pdf)
            first = len(writer.pages)
            for page in reader.pages:
                writer.add_page(page)
        except (PdfReadError, ValueError, OSError) as e:
            unreadable.append(f"{name}: {e}")
            continue
        writer.add_outline_item(f"{student} -- {pdf.stem}" if per_student else student, first)
    merged = out / f"{ps}_all_students.pdf"
    with open(merged, "wb") as fh:
        writer.write(fh)
    if unreadable:
        (out / "UNREADABLE.txt").write_text("\n".join(unreadable) + "\n")
    return merged
