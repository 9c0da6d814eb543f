"""The student side: turn a notebook into a hand-in, from JupyterLab or a terminal.

    selfcheck.py   run the notebook as `nbgrader validate` does; what fails, per cell
    report.py      the findings in words (command line) and as a to-do list (JupyterLab)
    pdf.py         the notebook as an HTML page (nbconvert template templates/handin_pdf, MathJax 3 from pip)
    browser.py     find a Chromium-based browser (Chrome, Edge, Chromium) and print the page to PDF
    handin.py      self-check + PDF + zip; the command line (`python -m dlcourse.handin.handin`)
    server.py      the jupyter_server extension behind the Hand in button (REST API, jobs)
    labextension/  the JupyterLab 4 extension: Hand in button, panel, status (TypeScript; prebuilt/)
    lab.py         JupyterLab with all of this (`python -m dlcourse.handin.lab`, `make lab`)
    kit.py         the student kit (`dlcourse kit`, `make student-kit`)
"""
