"""nbgrader settings of the student kit, for the Validate button and `make handin`'s self-check.

Grading runs elsewhere, with the course's own configuration (hidden tests, sandbox).
"""
c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "dl-ground-up"
# Training cells shrink under NBGRADER_EXECUTION, but a slow laptop still needs more than 30 s a cell.
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True
