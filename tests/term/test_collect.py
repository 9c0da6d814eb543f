"""`dlcourse collect`: hand-in zips (as students made them, as platforms wrap them) -> submitted/."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.course import copy_course
from dlcourse.term import collect as C
from tests.term import archives_kit as K

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("term")


def _course(path: Path) -> Path:
    course = copy_course(path, ["ps1", "ps2"])
    for ps in ("ps1", "ps2"):
        shutil.copytree(ROOT / "release" / ps, course / "release" / ps,
                        ignore=shutil.ignore_patterns("*.zip", ".ipynb_checkpoints"))
    return course


def _run(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlcourse", *args, "--course", str(course)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.fixture
def course(tmp_path) -> Path:
    return _course(tmp_path / "course")


def _roster(course: Path, rows: list[str]) -> None:
    (course / "students.csv").write_text("id,first_name,last_name,email,platform_id\n" + "\n".join(rows) + "\n")
    proc = _run(course, "roster", str(course / "students.csv"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(rows)} students in the gradebook" in proc.stdout


def test_plain_folder_of_handins(course, handin, tmp_path):
    uploads = tmp_path / "uploads"
    for sid in ("jdoe", "asmith", "broe"):
        K.renamed(handin, uploads / f"gradient_descent_ps1_{sid}.zip")
    proc = _run(course, "collect", "ps1", str(uploads))
    assert proc.returncode == 0, proc.stderr
    assert "3 hand-in(s) of 3 student(s) collected, 0 refused" in proc.stdout
    for sid in ("jdoe", "asmith", "broe"):
        folder = course / "submitted" / sid / "ps1"
        assert sorted(p.name for p in folder.iterdir()) == ["gradient_descent.ipynb", "gradient_descent.pdf",
                                                            "timestamp.txt"]
        nbformat.validate(nbformat.read(folder / "gradient_descent.ipynb", as_version=4))
        assert (folder / "gradient_descent.pdf").read_bytes().startswith(b"%PDF")
        from nbgrader.utils import parse_utc
        assert parse_utc((folder / "timestamp.txt").read_text()) is not None
    manual = course / "manual" / "ps1"
    assert sorted(p.name for p in manual.glob("*.pdf")) == ["asmith.pdf", "broe.pdf", "jdoe.pdf",
                                                            "ps1_all_students.pdf"]
    from pypdf import PdfReader
    merged = PdfReader(manual / "ps1_all_students.pdf")
    assert [o.title for o in merged.outline] == ["asmith", "broe", "jdoe"]
    assert len(merged.pages) == 3 * len(PdfReader(manual / "jdoe.pdf").pages)


def test_canvas_download_with_late_upload_reupload_and_wrong_owner(course, handin, tmp_path):
    _roster(course, ["jdoe,Jane,Doe,jane@uni.edu,1001", "asmith,Ann,Smith,ann@uni.edu,1002",
                     "broe,Bob,Roe,bob@uni.edu,1003"])
    work = K.members(handin)
    first = K.zip_of(work)
    uploads = {
        "doejane_1001_5001_gradient_descent_ps1_jdoe.zip": first,
        "doejane_1001_5007_gradient_descent_ps1_jdoe-1.zip": first,            # Canvas renames a re-upload
        "smithann_LATE_1002_5002_gradient_descent_ps1_asmith.zip": first,
        "roebob_1003_5004_gradient_descent_ps1_jdoe.zip": first,               # Bob hands in Jane's zip
    }
    times = {"doejane_1001_5001_gradient_descent_ps1_jdoe.zip": (2027, 1, 18, 20, 0, 0),
             "doejane_1001_5007_gradient_descent_ps1_jdoe-1.zip": (2027, 1, 18, 23, 30, 0),
             "smithann_LATE_1002_5002_gradient_descent_ps1_asmith.zip": (2027, 1, 19, 9, 15, 0)}
    download = tmp_path / "submissions.zip"
    K.zip_of(uploads, download, times)
    report = C.collect(course, "ps1", download)
    assert sorted(report.collected) == ["asmith", "jdoe"]
    assert [(w.split(":")[1], why) for w, why in report.refused] == [
        ("roebob_1003_5004_gradient_descent_ps1_jdoe.zip",
         "names student 'jdoe' but was uploaded by 'broe' (canvas user 1003)")]
    assert not (course / "submitted" / "broe").exists()
    assert any("jdoe: gradient_descent uploaded 2 times; the newest (2027-01-18 23:30:00" in n for n in report.notes)
    assert (course / "submitted" / "jdoe" / "ps1" / "timestamp.txt").read_text().startswith("2027-01-18 23:30:00")
    upload = report.collected["asmith"][0].upload
    assert upload.platform == "canvas" and upload.late_flag and upload.platform_prefix == "smithann_1002_5002_"


def test_moodle_download(course, handin, tmp_path):
    _roster(course, ["jdoe,Jane,Doe,jane@uni.edu,2001", "asmith,Ann,Smith,ann@uni.edu,2002"])
    work = K.zip_of(K.members(handin))
    download = tmp_path / "moodle.zip"
    K.zip_of({"Jane Doe_2001_assignsubmission_file_/gradient_descent_ps1_jdoe.zip": work,
              "Ann Smith_2002_assignsubmission_file_/gradient_descent_ps1_jdoe.zip": work,   # the wrong id
              "Ann Smith_2002_assignsubmission_file_/notes.txt": b"hello"}, download)
    report = C.collect(course, "ps1", download)
    assert list(report.collected) == ["jdoe"]
    whys = dict(report.refused)
    assert whys["moodle.zip:Ann Smith_2002_assignsubmission_file_/gradient_descent_ps1_jdoe.zip"] == \
        "names student 'jdoe' but was uploaded by 'asmith' (moodle user 2002)"
    assert "not a hand-in zip of ps1" in whys["moodle.zip:Ann Smith_2002_assignsubmission_file_/notes.txt"]
    assert report.collected["jdoe"][0].upload.platform_prefix == "Jane Doe_2001_assignsubmission_file_"


def test_every_bad_upload_is_refused_and_the_rest_collected(course, handin, tmp_path):
    work = K.members(handin)
    nb = work["gradient_descent.ipynb"]
    ps2 = (ROOT / "release" / "ps2" / "building_blocks.ipynb").read_bytes()
    up = tmp_path / "uploads"
    K.renamed(handin, up / "gradient_descent_ps1_good.zip")
    (up / "gradient_descent_ps1_corrupt.zip").write_bytes(handin.read_bytes()[:4000])
    (up / "gradient_descent_ps1_locked.zip").write_bytes(K.encrypted(K.zip_of(work)))
    K.zip_of({"gradient_descent.pdf": work["gradient_descent.pdf"]}, up / "gradient_descent_ps1_nonb.zip")
    K.zip_of({"building_blocks.ipynb": ps2}, up / "building_blocks_ps2_other.zip")
    K.zip_of({"gradient_descent.ipynb": ps2}, up / "gradient_descent_ps1_swapped.zip")
    K.zip_of({"gradient_descent.ipynb": nb[: len(nb) // 2]}, up / "gradient_descent_ps1_broken.zip")
    (up / "gradient_descent_ps1_bomb.zip").write_bytes(K.bomb("gradient_descent.ipynb"))
    K.zip_of({"../gradient_descent.ipynb": nb}, up / "gradient_descent_ps1_dotdot.zip")
    K.zip_of({"/etc/gradient_descent.ipynb": nb}, up / "gradient_descent_ps1_absolute.zip")
    (up / "gradient_descent_ps1_link.zip").write_bytes(K.with_symlink("gradient_descent.ipynb", "/etc/passwd"))
    (up / "gradient_descent.ipynb").write_bytes(nb)
    proc = _run(course, "collect", "ps1", str(up))
    assert proc.returncode == 0, proc.stderr
    refused = {line.split()[1].rstrip(":"): line.split(": ", 1)[1] for line in proc.stdout.splitlines()
               if line.strip().startswith("refused")}
    expected = {
        "gradient_descent_ps1_corrupt.zip": "is not a readable zip",
        "gradient_descent_ps1_locked.zip": "is encrypted",
        "gradient_descent_ps1_nonb.zip": "holds no notebook",
        "building_blocks_ps2_other.zip": "is a hand-in of ps2, not ps1",
        "gradient_descent_ps1_swapped.zip": "not this assignment's notebook",
        "gradient_descent_ps1_broken.zip": "not valid JSON",
        "gradient_descent_ps1_bomb.zip": "zip bomb",
        "gradient_descent_ps1_dotdot.zip": "escaping its folder",
        "gradient_descent_ps1_absolute.zip": "outside its folder",
        "gradient_descent_ps1_link.zip": "symbolic link",
        "gradient_descent.ipynb": "bare .ipynb file",
    }
    assert set(refused) == set(expected), proc.stdout
    for name, why in expected.items():
        assert why in refused[name], f"{name}: {refused[name]}"
    assert "1 hand-in(s) of 1 student(s) collected, 11 refused" in proc.stdout
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["good"]
    assert not list(course.rglob("passwd")) and not (course / "gradient_descent.ipynb").exists()
    assert "Traceback" not in proc.stdout + proc.stderr


def test_roster_refuses_strangers_and_bad_input_is_one_line(course, handin, tmp_path):
    _roster(course, ["jdoe,Jane,Doe,jane@uni.edu,"])
    up = tmp_path / "uploads"
    K.renamed(handin, up / "gradient_descent_ps1_jdoe.zip")
    K.renamed(handin, up / "gradient_descent_ps1_stranger.zip")
    report = C.collect(course, "ps1", up)
    assert list(report.collected) == ["jdoe"]
    assert report.refused == [("gradient_descent_ps1_stranger.zip", "names student 'stranger', who is not on the roster")]
    (course / "submitted" / "ghost" / "ps1").mkdir(parents=True)     # put there by hand, or by nbgrader collect
    from dlcourse.cli.grade import warn_strangers
    assert warn_strangers(course, ["ps1"]) == ["ghost"]
    for args, why in ((("collect", "ps9", str(up)), "unknown assignment 'ps9'"),
                      (("collect", "ps1", str(tmp_path / "nowhere")), "no such folder or zip"),
                      (("roster", str(tmp_path / "none.csv")), "no such file")):
        proc = _run(course, *args)
        assert proc.returncode == 2 and why in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    (tmp_path / "bad.csv").write_text("name,mail\nx,y\n")
    proc = _run(course, "roster", str(tmp_path / "bad.csv"))
    assert proc.returncode == 2 and "needs a header row" in proc.stderr
