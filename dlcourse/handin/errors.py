"""The hand-in's one exception: something the student (or the set-up) must fix; its message says what."""


class HandinError(RuntimeError):
    pass
