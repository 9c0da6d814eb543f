"""How hand-ins are named: the zip a student hands in is <notebook>_<assignment>_<student>.zip.

Shared by the hand-in (which writes the name) and the term workflow (which reads it back).
"""
from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A file-name-safe form of a student id or assignment name (letters, digits, . _ -)."""
    return _UNSAFE.sub("-", text.strip()).strip("-.")


def handin_zip_name(notebook: str, assignment: str, student: str) -> str:
    """<notebook>_<assignment>_<student>.zip, e.g. gradient_descent_ps1_jdoe.zip."""
    return f"{notebook}_{safe_name(assignment)}_{safe_name(student)}.zip"


REUPLOAD_SUFFIX = re.compile(r"(\s*\(\d+\)|-\d+)$")   # "name (1).zip", "name-1.zip": how platforms rename re-uploads


def parse_handin_zip_name(name: str, assignment: str, notebooks: list[str]) -> tuple[str, str] | None:
    """(notebook, student) of a hand-in zip's file name for one assignment, or None.

    The notebook is one of the assignment's notebook names (longest first, so a notebook whose
    name extends another's is matched as itself).  The student part is returned as written;
    `without_reupload_suffix` removes what a platform appends to a re-uploaded file.
    """
    if not name.lower().endswith(".zip"):
        return None
    stem = name[:-4]
    for notebook in sorted(notebooks, key=len, reverse=True):
        prefix = f"{notebook}_{safe_name(assignment)}_"
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return notebook, stem[len(prefix):]
    return None


def without_reupload_suffix(student: str) -> str:
    """jdoe (1) -> jdoe, jdoe-2 -> jdoe (a platform's renaming of a re-upload)."""
    return REUPLOAD_SUFFIX.sub("", student) or student
