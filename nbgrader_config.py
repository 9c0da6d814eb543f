"""nbgrader configuration of Deep Learning from the Ground Up.

Used by every nbgrader command run in this folder, and read (once, through traitlets) by
the course's own commands (dlcourse/config.py).
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "dl-ground-up"
c.CourseDirectory.root = COURSE_ROOT
# Files that never belong in a student's folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]
# The gradebook; a SQLAlchemy URL, so a shared PostgreSQL works too.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db")

# What students see where they must write code or prose.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True

# Execution while validating and autograding.  Training cells shrink under
# NBGRADER_EXECUTION, but a slow laptop still needs more than the default 30 s.
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True
# One BLAS/OpenMP thread per kernel: the course's tensors are small, extra
# threads only contend (10x slower on a busy 2-core grader), and parallel
# grading already runs one kernel per core.  Kernels inherit this variable.
os.environ.setdefault("OMP_NUM_THREADS", "1")
c.Execute.extra_arguments = []

# Student code runs sandboxed during autograde and validate (dlcourse/grading/sandbox/: a
# jupyter_client kernel provisioner around bubblewrap): it sees only its own folder, the Python
# environment, utils/ and datasets/; no network; own PID namespace.  Each kernel is capped, and
# everything it started ends with it.  No sandbox -> grading stops, unless allowed explicitly
# (students self-checking their own code: `make lab` and the hand-in command set
# COURSE_ALLOW_UNSANDBOXED=1).
import dlcourse.grading.sandbox  # noqa: E402

dlcourse.grading.sandbox.enable(c)  # nbgrader's kernels: the "course-sandbox" kernel spec
c.SandboxProvisioner.memory_limit = 6 * 2**30   # bytes per kernel process (RLIMIT_AS); the tree: + 2 x disk
c.SandboxProvisioner.tasks_limit = 256          # processes + threads of a kernel's tree (cgroup pids)
c.SandboxProvisioner.cpu_limit = 1.0            # cores for a kernel's tree (cgroup cpu quota): a worker's share
c.SandboxProvisioner.disk_limit = 512 * 2**20   # bytes: its folder and its /tmp, each a tmpfs of this size
c.SandboxProvisioner.allow_unsandboxed = False  # or env COURSE_ALLOW_UNSANDBOXED=1

# A hand-in from a student not yet in the gradebook is added, not refused.
c.Autograde.create_student = True

# Restore any read-only or test cell a student edited, emptied or deleted.
c.OverwriteCells.enabled = True
c.OverwriteCells.add_missing_cells = True

# Course preprocessors (dlcourse/grading/preprocessors/, one per module):
# - warnings and progress bars (stderr) in a test cell never cost points; an
#   exception, failed assertion, timeout or crash still scores 0;
# - feedback shows each test's name, points, pass/fail and hint -- never the
#   source of hidden tests or a traceback through them.
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,  # noqa: E402
                                    DeduplicateIds, GetGrades, IgnorePattern,
                                    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from dlcourse.grading.execute import GuardedExecute  # noqa: E402
from dlcourse.grading.preprocessors import (AutogradedExtraCredit, DropEmptyMetadata, FlagForReview,  # noqa: E402
                                            HideHiddenTests, ReportedLimitOutput, RestoreLockedCells,
                                            StderrIsNotFailure, feedback_copies_handed_in_files_only)

# RestoreLockedCells re-adds deleted locked cells (the provided imports, helpers), which
# OverwriteCells' add_missing_cells does not (it re-adds test cells only).
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, DropEmptyMetadata, OverwriteKernelspec, OverwriteCells, RestoreLockedCells,
    CheckCellMetadata]

# GuardedExecute (dlcourse/grading/execute.py) is nbgrader's Execute plus: before each test
# cell the test helpers, utils.testing, builtins, numpy and torch are put back as they were
# when the kernel started (the guard, dlcourse/grading/guard/; a test whose helpers student
# code changed while it ran scores 0); a cell that ignores the timeout's interrupt scores 0,
# the kernel is restarted and grading goes on.  FlagForReview logs hand-ins whose code tries
# to tamper (dlcourse/grading/tamper.py) and flags them in the gradebook.
# AutogradedExtraCredit (preprocessors/extra_credit.py): a bonus test (0 points, first line
# "# Bonus (extra credit): N points") that passes gives N points of extra credit,
# on top of the assignment's maximum.
c.Autograde.autograde_preprocessors = [
    GuardedExecute, StderrIsNotFailure, IgnorePattern, ClearMetadataPreprocessor, ReportedLimitOutput,
    SaveAutoGrades, AutogradedExtraCredit, AssignLatePenalties, FlagForReview, CheckCellMetadata]
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
# Feedback gets the files the student handed in, not files their code wrote while graded.
feedback_copies_handed_in_files_only()

# Keep feedback and autograded notebooks small when a hand-in prints a lot; each cut is
# logged ("OUTPUT TRUNCATED <student>/<ps>/<notebook>.ipynb: output of cell ... truncated")
# and reported in the grading run's summary.
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# Exchange for `nbgrader release_assignment / collect` on a shared machine.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", os.path.join(COURSE_ROOT, "exchange"))
c.Exchange.path_includes_course = True

# The term (dlcourse/term/policy.py): due dates live here, and only here -- `dlcourse grade`
# writes them into the gradebook, where nbgrader computes each hand-in's lateness from its
# timestamp.txt (set by `dlcourse collect` or nbgrader's exchange).  Dates without a zone are
# in c.Term.timezone.  Late work: a percentage of the score per started day, after a grace
# period, up to a cap; the grade export applies it to the final score (automatic + manual +
# extra credit).
from dlcourse.term.policy import PercentPerStartedDay  # noqa: E402

c.Term.timezone = "UTC"
c.Term.due_dates = {}            # e.g. {"ps1": "2027-01-18 23:59", "ps2": "2027-02-01 23:59"}
c.AssignLatePenalties.plugin_class = PercentPerStartedDay
c.PercentPerStartedDay.percent_per_day = 10
c.PercentPerStartedDay.max_percent = 50
c.PercentPerStartedDay.grace_minutes = 15
