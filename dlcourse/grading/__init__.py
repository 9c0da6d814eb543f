"""The grading stage: hand-ins in, grades, feedback and reports out (nbgrader underneath).

    sandbox/         grading kernels in bubblewrap, capped (a jupyter_client kernel provisioner)
    guard/           the in-kernel guard: test helpers and libraries restored before every test
    execute.py       nbgrader's Execute with the guard, and a stuck kernel restarted
    preprocessors/   the course's nbgrader preprocessors, one per module (extra credit among them)
    tamper.py        the review: code that tries to game the grader, flagged for a human
    run/             class grading: every hand-in in parallel into the gradebook (`dlcourse grade`)
    report/          the class report (`dlcourse report`)
    scores.py        scores per hand-in from the gradebook, summed in one place
    outcomes.py      what the instructor is told about a hand-in not graded, or graded with a problem
    table.py         the score table
"""
