"""Wrong and right answers for ps1/gradient_descent.ipynb."""
# size: a catalogue of answers (data, one entry per answer), not logic

NOTEBOOK = "source/ps1/gradient_descent.ipynb"

# Central differences in place: x[i] is moved to x + eps, x - eps and back by arithmetic,
# which can leave x[i] one rounding step (1 ulp) away from where it started.
_RESTORED_BY_ARITHMETIC = (
    "def numerical_gradient(fn, x, eps=1e-6):\n"
    "    g = np.zeros_like(x)\n"
    "    for i in range(x.size):\n"
    "        x[i] += eps\n"
    "        plus = fn(x)\n"
    "        x[i] -= 2 * eps\n"
    "        minus = fn(x)\n"
    "        x[i] += eps\n"
    "        g[i] = (plus - minus) / (2 * eps)\n"
    "    return g\n")

MUTANTS = {
    "grad_x_f": {
        "wrong": {
            "chain rule forgotten on cos(3x)": "def grad_x_f(x, y):\n    return 2 * x + y + 2 - np.sin(3 * x)\n",
            "sign of the cosine derivative": "def grad_x_f(x, y):\n    return 2 * x + y + 2 + 3 * np.sin(3 * x)\n",
            "dropped the constant from x*(y+2)": "def grad_x_f(x, y):\n    return 2 * x + y - 3 * np.sin(3 * x)\n",
            "math.sin does not work on arrays": "def grad_x_f(x, y):\n    return 2 * x + y + 2 - 3 * math.sin(3 * x)\n",
            "a finite difference of f instead of the derivative": (
                "def grad_x_f(x, y):\n    return (f(x + 1e-6, y) - f(x - 1e-6, y)) / 2e-6\n"),
        },
        "right": {
            "expanded differently with np.multiply": (
                "def grad_x_f(x, y):\n"
                "    return np.multiply(2.0, x) + (y + 2.0) - np.multiply(3.0, np.sin(np.multiply(3.0, x)))\n"),
            # No cascade: a wrong gradient costs grad_x_f's points, not optimize_f's as well
            # (optimize_f is graded against a descent with the student's own gradients).
            "(no cascade) a wrong grad_x_f keeps optimize_f's points": {
                "code": "def grad_x_f(x, y):\n    return 2 * x + y + 2 - np.sin(3 * x)\n",
                "tests": ["test_optimize_f_visible", "test_optimize_f_hidden"],
            },
            # ... nor does an unfinished one (optimize_f is graded with gradients of the tests' own).
            "(no cascade) grad_x_f still the stub keeps optimize_f's points": {
                "code": "def grad_x_f(x, y):\n    raise NotImplementedError()\n",
                "tests": ["test_optimize_f_visible", "test_optimize_f_hidden"],
            },
        },
    },
    "grad_y_f": {
        "wrong": {
            "forgot the x*(y+2) term": "def grad_y_f(x, y):\n    return 2 * y\n",
            "derivative of y^2 as y": "def grad_y_f(x, y):\n    return y + x\n",
            "added the constant 2": "def grad_y_f(x, y):\n    return 2 * y + x + 2\n",
        },
        "right": {
            "written as x + y + y": "def grad_y_f(x, y):\n    return x + y + y\n",
            "(no cascade) a wrong grad_y_f keeps optimize_f's points": {
                "code": "def grad_y_f(x, y):\n    return 2 * y\n",
                "tests": ["test_optimize_f_visible", "test_optimize_f_hidden"],
            },
            "(no cascade) grad_y_f still the stub keeps optimize_f's points": {
                "code": "def grad_y_f(x, y):\n    raise NotImplementedError()\n",
                "tests": ["test_optimize_f_visible", "test_optimize_f_hidden"],
            },
        },
    },
    "optimize_f": {
        "wrong": {
            "compounding decay (lr *= decay**t)": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys, lr = [x], [y], step_size\n"
                "    for t in range(steps):\n"
                "        lr = lr * decay ** t\n"
                "        x, y = x - lr * grad_x_f(x, y), y - lr * grad_y_f(x, y)\n"
                "        xs.append(x); ys.append(y)\n"
                "    return x, y, f(x, y), xs, ys\n"),
            "decay applied before the first step": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys = [x], [y]\n"
                "    for t in range(steps):\n"
                "        lr = step_size * decay ** (t + 1)\n"
                "        x, y = x - lr * grad_x_f(x, y), y - lr * grad_y_f(x, y)\n"
                "        xs.append(x); ys.append(y)\n"
                "    return x, y, f(x, y), xs, ys\n"),
            "y gradient taken at the new x": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys = [x], [y]\n"
                "    for t in range(steps):\n"
                "        lr = step_size * decay ** t\n"
                "        x = x - lr * grad_x_f(x, y)\n"
                "        y = y - lr * grad_y_f(x, y)\n"
                "        xs.append(x); ys.append(y)\n"
                "    return x, y, f(x, y), xs, ys\n"),
            "history without the start point": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys = [], []\n"
                "    for t in range(steps):\n"
                "        lr = step_size * decay ** t\n"
                "        x, y = x - lr * grad_x_f(x, y), y - lr * grad_y_f(x, y)\n"
                "        xs.append(x); ys.append(y)\n"
                "    return x, y, f(x, y), xs, ys\n"),
            "gradient ascent": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys = [x], [y]\n"
                "    for t in range(steps):\n"
                "        lr = step_size * decay ** t\n"
                "        x, y = x + lr * grad_x_f(x, y), y + lr * grad_y_f(x, y)\n"
                "        xs.append(x); ys.append(y)\n"
                "    return x, y, f(x, y), xs, ys\n"),
            "points recorded before each step: the final point is missing": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys = [], []\n"
                "    for t in range(steps):\n"
                "        xs.append(x); ys.append(y)\n"
                "        lr = step_size * decay ** t\n"
                "        x, y = x - lr * grad_x_f(x, y), y - lr * grad_y_f(x, y)\n"
                "    return x, y, f(x, y), xs, ys\n"),
            "returns f at the start point": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys, f0 = [x], [y], f(x, y)\n"
                "    for t in range(steps):\n"
                "        lr = step_size * decay ** t\n"
                "        x, y = x - lr * grad_x_f(x, y), y - lr * grad_y_f(x, y)\n"
                "        xs.append(x); ys.append(y)\n"
                "    return x, y, f0, xs, ys\n"),
        },
        "right": {
            "running product lr *= decay after each step, NumPy arrays": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    p = np.array([x, y], dtype=float)\n"
                "    hist = [p.copy()]\n"
                "    lr = step_size\n"
                "    for _ in range(steps):\n"
                "        g = np.array([grad_x_f(p[0], p[1]), grad_y_f(p[0], p[1])])\n"
                "        p = p - lr * g\n"
                "        lr *= decay\n"
                "        hist.append(p.copy())\n"
                "    hist = np.array(hist)\n"
                "    return p[0], p[1], f(p[0], p[1]), list(hist[:, 0]), list(hist[:, 1])\n"),
            "gradients written out inline, f computed inline": (
                "def optimize_f(x, y, step_size, steps, decay=1.0):\n"
                "    xs, ys = [x], [y]\n"
                "    for t in range(steps):\n"
                "        eta = step_size * decay ** t\n"
                "        dx, dy = 2 * x + y + 2 - 3 * np.sin(3 * x), 2 * y + x\n"
                "        x, y = x - eta * dx, y - eta * dy\n"
                "        xs.append(x); ys.append(y)\n"
                "    return x, y, x ** 2 + y ** 2 + x * (y + 2) + np.cos(3 * x), xs, ys\n"),
        },
    },
    "tuning": {
        "wrong": {
            "the fixed step 0.1 from question 2.1": "best_step_size = 0.1\nbest_steps = 100\nbest_decay = 1.0\n",
            "decay too fast: stops before the valley": "best_step_size = 0.4\nbest_steps = 100\nbest_decay = 0.5\n",
            "step too large: diverges": "best_step_size = 0.9\nbest_steps = 200\nbest_decay = 1.0\n",
            # f < -2 at the end, but not at the minimum: the checks of f alone passed these (issue #13)
            "fixed step 0.19: a 2-cycle around the minimum (f = -2.06 / -2.08, |df/dx| = 2.05)": (
                "best_step_size = 0.19\nbest_steps = 100\nbest_decay = 1.0\n"),
            "decay 0.9 freezes the path on the valley's slope (f = -2.27, |grad f| = 0.20)": (
                "best_step_size = 0.16\nbest_steps = 100\nbest_decay = 0.9\n"),
        },
        "right": {
            "a lucky fixed step": "best_step_size = 0.16\nbest_steps = 300\nbest_decay = 1.0\n",
            "the largest fixed step that settles, given enough steps": (
                "best_step_size = 0.18\nbest_steps = 300\nbest_decay = 1.0\n"),
            "a slow decay over many steps, as NumPy scalars": (
                "best_step_size = np.float64(0.35)\nbest_steps = np.int64(1000)\nbest_decay = np.float32(0.995)\n"),
        },
    },
    "grad_f_autograd": {
        "wrong": {
            "returns tensors instead of floats": (
                "def grad_f_autograd(x, y):\n"
                "    xt = torch.tensor(x, requires_grad=True)\n"
                "    yt = torch.tensor(y, requires_grad=True)\n"
                "    (xt ** 2 + yt ** 2 + xt * (yt + 2) + torch.cos(3 * xt)).backward()\n"
                "    return xt.grad, yt.grad\n"),
            "analytic formulas instead of autograd": (
                "def grad_f_autograd(x, y):\n"
                "    return float(grad_x_f(x, y)), float(grad_y_f(x, y))\n"),
            "gradients accumulate across calls (shared leaves)": (
                "_X = torch.tensor(0.0, requires_grad=True)\n"
                "_Y = torch.tensor(0.0, requires_grad=True)\n"
                "def grad_f_autograd(x, y):\n"
                "    with torch.no_grad():\n"
                "        _X.fill_(x); _Y.fill_(y)\n"
                "    (_X ** 2 + _Y ** 2 + _X * (_Y + 2) + torch.cos(3 * _X)).backward()\n"
                "    return _X.grad.item(), _Y.grad.item()\n"),
            "cos term computed outside the graph": (
                "def grad_f_autograd(x, y):\n"
                "    xt = torch.tensor(float(x), requires_grad=True)\n"
                "    yt = torch.tensor(float(y), requires_grad=True)\n"
                "    (xt ** 2 + yt ** 2 + xt * (yt + 2) + math.cos(3 * x)).backward()\n"
                "    return xt.grad.item(), yt.grad.item()\n"),
        },
        "right": {
            "torch.autograd.grad on a stacked tensor": (
                "def grad_f_autograd(x, y):\n"
                "    p = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)\n"
                "    value = p[0] ** 2 + p[1] ** 2 + p[0] * (p[1] + 2) + torch.cos(3 * p[0])\n"
                "    (g,) = torch.autograd.grad(value, p)\n"
                "    return float(g[0]), float(g[1])\n"),
            # imported under its own name: autograd used all the same (the hidden test counted
            # calls of torch.autograd.grad / .backward looked up on the module, and missed these)
            "from torch.autograd import grad": (
                "from torch.autograd import grad\n"
                "def grad_f_autograd(x, y):\n"
                "    xt = torch.tensor(float(x), requires_grad=True)\n"
                "    yt = torch.tensor(float(y), requires_grad=True)\n"
                "    gx, gy = grad(xt ** 2 + yt ** 2 + xt * (yt + 2) + torch.cos(3 * xt), (xt, yt))\n"
                "    return gx.item(), gy.item()\n"),
            "from torch.autograd import backward; a list of NumPy float64": (
                "from torch.autograd import backward\n"
                "def grad_f_autograd(x, y):\n"
                "    xt = torch.tensor(float(x), requires_grad=True)\n"
                "    yt = torch.tensor(float(y), requires_grad=True)\n"
                "    backward(xt ** 2 + yt ** 2 + xt * (yt + 2) + torch.cos(3 * xt))\n"
                "    return [np.float64(xt.grad), np.float64(yt.grad)]\n"),
            "float32 tensors, torch.autograd.functional.jacobian": (
                "def grad_f_autograd(x, y):\n"
                "    fn = lambda p: p[0] ** 2 + p[1] ** 2 + p[0] * (p[1] + 2) + torch.cos(3 * p[0])\n"
                "    g = torch.autograd.functional.jacobian(fn, torch.tensor([x, y], dtype=torch.float32))\n"
                "    return g[0].item(), g[1].item()\n"),
        },
    },
    "numerical_gradient": {
        "wrong": {
            "one-sided differences": (
                "def numerical_gradient(fn, x, eps=1e-6):\n"
                "    g = np.zeros_like(x)\n"
                "    base = fn(x)\n"
                "    for i in range(x.size):\n"
                "        x[i] += eps\n"
                "        g[i] = (fn(x) - base) / eps\n"
                "        x[i] -= eps\n"
                "    return g\n"),
            "x left perturbed (the restoring += eps forgotten)": _RESTORED_BY_ARITHMETIC.replace(
                "        x[i] += eps\n        g[i]", "        g[i]"),
            "divides by eps instead of 2 eps": (
                "def numerical_gradient(fn, x, eps=1e-6):\n"
                "    g = np.zeros_like(x)\n"
                "    for i in range(x.size):\n"
                "        xp, xm = x.copy(), x.copy()\n"
                "        xp[i] += eps; xm[i] -= eps\n"
                "        g[i] = (fn(xp) - fn(xm)) / eps\n"
                "    return g\n"),
            "perturbs all coordinates at once": (
                "def numerical_gradient(fn, x, eps=1e-6):\n"
                "    return np.full_like(x, (fn(x + eps) - fn(x - eps)) / (2 * eps))\n"),
            "returns a Python list instead of an array": (
                "def numerical_gradient(fn, x, eps=1e-6):\n"
                "    g = []\n"
                "    for i in range(x.size):\n"
                "        xp, xm = x.copy(), x.copy()\n"
                "        xp[i] += eps; xm[i] -= eps\n"
                "        g.append((fn(xp) - fn(xm)) / (2 * eps))\n"
                "    return g\n"),
            "ignores the eps argument": (
                "def numerical_gradient(fn, x, eps=1e-6):\n"
                "    h = 1e-6\n"
                "    g = np.zeros_like(x)\n"
                "    for i in range(x.size):\n"
                "        xp, xm = x.copy(), x.copy()\n"
                "        xp[i] += h; xm[i] -= h\n"
                "        g[i] = (fn(xp) - fn(xm)) / (2 * h)\n"
                "    return g\n"),
        },
        "right": {
            "restores x by arithmetic (+eps, -2 eps, +eps: 1-ulp drift)": _RESTORED_BY_ARITHMETIC,
            "copies with rows of the identity": (
                "def numerical_gradient(fn, x, eps=1e-6):\n"
                "    E = np.eye(x.size) * eps\n"
                "    return np.array([(fn(x + e) - fn(x - e)) / (2 * eps) for e in E])\n"),
        },
    },
    "rel_error": {
        "wrong": {
            "no guard against 0/0": (
                "def rel_error(a, b):\n"
                "    return np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))\n"),
            "ratio of the maxima": (
                "def rel_error(a, b):\n"
                "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
                "    return np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)\n"),
            "mean instead of max": (
                "def rel_error(a, b):\n"
                "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
                "    return np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12))\n"),
            "no absolute values in the denominator": (
                "def rel_error(a, b):\n"
                "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
                "    return np.max(np.abs(a - b) / np.maximum(np.abs(a + b), 1e-12))\n"),
            "denominator floored at 1 (absolute error for small values)": (
                "def rel_error(a, b):\n"
                "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
                "    return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1.0))\n"),
            "divides by max(|a|, |b|) instead of |a| + |b|": (
                "def rel_error(a, b):\n"
                "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
                "    return np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12))\n"),
        },
        "right": {
            "plain Python over zipped values": (
                "def rel_error(a, b):\n"
                "    a, b = np.atleast_1d(a).astype(float).ravel(), np.atleast_1d(b).astype(float).ravel()\n"
                "    return max(abs(u - v) / max(abs(u) + abs(v), 1e-12) for u, v in zip(a, b))\n"),
            "CS231n's version: floor at 1e-8": (
                "def rel_error(x, y):\n"
                "    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))\n"),
            "tiny constant added instead of a floor": (
                "def rel_error(a, b):\n"
                "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
                "    return float((np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-12)).max())\n"),
            # Warnings never cost points (issue #13): strict_numerics escalates only floating-point problems.
            "in torch, emitting a UserWarning (copy construct from a tensor) and a DeprecationWarning": (
                "import warnings\n"
                "def rel_error(a, b):\n"
                "    warnings.warn('rel_error(a, b) will become rel_error(a, b, floor)', DeprecationWarning)\n"
                "    a = torch.tensor(torch.as_tensor(a, dtype=torch.float64))\n"
                "    b = torch.tensor(torch.as_tensor(b, dtype=torch.float64))\n"
                "    return float(((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-12)).max())\n"),
        },
    },
    "run_gradient_descent": {
        "wrong": {
            "gradients never cleared": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0\n"
                "    for _ in range(steps):\n"
                "        L(x).backward()\n"
                "        with torch.no_grad():\n"
                "            x -= learning_rate * x.grad\n"
                "    return x\n"),
            "update outside torch.no_grad()": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0\n"
                "    for _ in range(steps):\n"
                "        L(x).backward()\n"
                "        x -= learning_rate * x.grad\n"
                "        x.grad.zero_()\n"
                "    return x\n"),
            "x = x - lr * grad makes a non-leaf": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0\n"
                "    for _ in range(steps):\n"
                "        L(x).backward()\n"
                "        x = x - learning_rate * x.grad\n"
                "    return x\n"),
            "gradient ascent": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0\n"
                "    for _ in range(steps):\n"
                "        L(x).backward()\n"
                "        with torch.no_grad():\n"
                "            x += learning_rate * x.grad\n"
                "        x.grad.zero_()\n"
                "    return x\n"),
            "analytic gradient x * (1, 100) instead of backward()": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0\n"
                "    for _ in range(steps):\n"
                "        loss = L(x)\n"
                "        with torch.no_grad():\n"
                "            x -= learning_rate * x * torch.tensor([1.0, 100.0])\n"
                "    return x\n"),
            "gradient from L.curvatures instead of backward()": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0.detach().clone()\n"
                "    for _ in range(steps):\n"
                "        L(x)\n"
                "        x = x - learning_rate * L.curvatures * x\n"
                "    return x\n"),
        },
        "right": {
            "copy of x0, grad set to None": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0.detach().clone().requires_grad_(True)\n"
                "    for _ in range(steps):\n"
                "        loss = L(x)\n"
                "        loss.backward()\n"
                "        with torch.no_grad():\n"
                "            x.sub_(learning_rate * x.grad)\n"
                "        x.grad = None\n"
                "    return x\n"),
            "torch.autograd.grad instead of .backward()": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x = x0\n"
                "    for _ in range(steps):\n"
                "        (g,) = torch.autograd.grad(L(x), x)\n"
                "        with torch.no_grad():\n"
                "            x.sub_(learning_rate * g)\n"
                "    return x\n"),
            "evaluates L(x) again after every step to log the loss": (
                "def run_gradient_descent(L, x0, learning_rate, steps):\n"
                "    x, log = x0, []\n"
                "    for _ in range(steps):\n"
                "        loss = L(x)\n"
                "        loss.backward()\n"
                "        with torch.no_grad():\n"
                "            x -= learning_rate * x.grad\n"
                "        x.grad.zero_()\n"
                "        log.append(L(x).item())\n"
                "    return x\n"),
        },
    },
    "best_rates": {
        "wrong": {
            "one rate for both directions": "best_rates = (0.019, 0.019)\n",
            "rates swapped": "best_rates = (0.01, 1.0)\n",
            "x2 rate at the stability limit 2/100": "best_rates = (1.0, 0.02)\n",
            "x1 rate too small to get there in 50 steps": "best_rates = (0.05, 0.01)\n",
        },
        "right": {
            "a tensor of other good rates": "best_rates = torch.tensor([0.7, 0.008])\n",
            "overshooting but stable rates, as a list": "best_rates = [1.5, 0.015]\n",
        },
    },
    "standardize": {
        "wrong": {
            "sample std (ddof=1)": (
                "def standardize(X):\n"
                "    m, s = X.mean(0), X.std(0, ddof=1)\n"
                "    return (X - m) / s, m, s\n"),
            "row-wise instead of column-wise": (
                "def standardize(X):\n"
                "    m, s = X.mean(1, keepdims=True), X.std(1, keepdims=True)\n"
                "    return (X - m) / s, m.ravel(), s.ravel()\n"),
            "divides by the variance": (
                "def standardize(X):\n"
                "    m, v = X.mean(0), X.var(0)\n"
                "    return (X - m) / v, m, v\n"),
            "min-max scaling": (
                "def standardize(X):\n"
                "    lo, hi = X.min(0), X.max(0)\n"
                "    return (X - lo) / (hi - lo), lo, hi - lo\n"),
            # X_raw standardised in place: the plot's "raw" curve then runs on standardised data
            "standardises X in place (X -= mean; X /= std)": (
                "def standardize(X):\n"
                "    mean, std = X.mean(axis=0), X.std(axis=0)\n"
                "    X -= mean\n"
                "    X /= std\n"
                "    return X, mean, std\n"),
        },
        "right": {
            "explicit sums": (
                "def standardize(X):\n"
                "    n = X.shape[0]\n"
                "    m = X.sum(axis=0) / n\n"
                "    s = np.sqrt(((X - m) ** 2).sum(axis=0) / n)\n"
                "    return (X - m) / s, m, s\n"),
            "mean and std kept 2-D (keepdims=True)": (
                "def standardize(X):\n"
                "    m = X.mean(axis=0, keepdims=True)\n"
                "    s = X.std(axis=0, keepdims=True)\n"
                "    return (X - m) / s, m, s\n"),
        },
    },
    "least_squares": {
        "wrong": {
            "no intercept": (
                "def least_squares(X, y):\n"
                "    w, *_ = np.linalg.lstsq(X, y, rcond=None)\n"
                "    return w, 0.0\n"),
            "intercept as mean of y only": (
                "def least_squares(X, y):\n"
                "    w, *_ = np.linalg.lstsq(X, y - y.mean(), rcond=None)\n"
                "    return w, y.mean()\n"),
            "w and b returned together": (
                "def least_squares(X, y):\n"
                "    A = np.hstack([X, np.ones((len(X), 1))])\n"
                "    c, *_ = np.linalg.lstsq(A, y, rcond=None)\n"
                "    return c, 0.0\n"),
            "b from the means, but w from the uncentred normal equations": (
                "def least_squares(X, y):\n"
                "    w = np.linalg.solve(X.T @ X, X.T @ y)\n"
                "    return w, y.mean() - X.mean(0) @ w\n"),
            "centred w, but b = mean(y) (the - mean(X) @ w term dropped)": (
                "def least_squares(X, y):\n"
                "    Xc = X - X.mean(0)\n"
                "    w = np.linalg.solve(Xc.T @ Xc, Xc.T @ (y - y.mean()))\n"
                "    return w, y.mean()\n"),
            "centres X in place (X -= mean): changes the caller's X_raw": (
                "def least_squares(X, y):\n"
                "    xm, ym = X.mean(axis=0), y.mean()\n"
                "    X -= xm\n"
                "    w = np.linalg.solve(X.T @ X, X.T @ (y - ym))\n"
                "    return w, float(ym - xm @ w)\n"),
        },
        "right": {
            "np.linalg.lstsq on X with a column of ones": (
                "def least_squares(X, y):\n"
                "    A = np.hstack([X, np.ones((X.shape[0], 1))])\n"
                "    coef, *_ = np.linalg.lstsq(A, y, rcond=None)\n"
                "    return coef[:-1], float(coef[-1])\n"),
            "normal equations with the ones column, explicit inverse": (
                "def least_squares(X, y):\n"
                "    A = np.column_stack([X, np.ones(len(y))])\n"
                "    theta = np.linalg.inv(A.T @ A) @ A.T @ y\n"
                "    return theta[:-1], theta[-1]\n"),
            "centred X only (X_c^T y = X_c^T (y - mean y))": (
                "def least_squares(X, y):\n"
                "    xm = X.mean(axis=0)\n"
                "    Xc = X - xm\n"
                "    w = np.linalg.solve(Xc.T @ Xc, Xc.T @ y)\n"
                "    return w, np.mean(y - X @ w)\n"),
            "np.linalg.solve on A^T A; w a column and b a 1-element array": (
                "def least_squares(X, y):\n"
                "    A = np.hstack([X, np.ones((len(X), 1))])\n"
                "    theta = np.linalg.solve(A.T @ A, A.T @ y.reshape(-1, 1))\n"
                "    return theta[:-1], theta[-1]\n"),
        },
    },
    "mse_gradient_descent": {
        "wrong": {
            "gradient without the factor 2": (
                "def mse_gradient_descent(X, y, learning_rate, steps):\n"
                "    n = len(y); w = np.zeros(X.shape[1]); b = 0.0; L = []\n"
                "    for _ in range(steps):\n"
                "        r = X @ w + b - y\n"
                "        L.append(np.mean(r ** 2))\n"
                "        w = w - learning_rate * X.T @ r / n\n"
                "        b = b - learning_rate * r.mean()\n"
                "    return w, b, L\n"),
            "sum instead of mean": (
                "def mse_gradient_descent(X, y, learning_rate, steps):\n"
                "    w = np.zeros(X.shape[1]); b = 0.0; L = []\n"
                "    for _ in range(steps):\n"
                "        r = X @ w + b - y\n"
                "        L.append(np.mean(r ** 2))\n"
                "        w = w - learning_rate * 2 * X.T @ r\n"
                "        b = b - learning_rate * 2 * r.sum()\n"
                "    return w, b, L\n"),
            "bias never updated": (
                "def mse_gradient_descent(X, y, learning_rate, steps):\n"
                "    n = len(y); w = np.zeros(X.shape[1]); b = 0.0; L = []\n"
                "    for _ in range(steps):\n"
                "        r = X @ w + b - y\n"
                "        L.append(np.mean(r ** 2))\n"
                "        w = w - learning_rate * 2 * X.T @ r / n\n"
                "    return w, b, L\n"),
            "b updated with the new w (sequential)": (
                "def mse_gradient_descent(X, y, learning_rate, steps):\n"
                "    n = len(y); w = np.zeros(X.shape[1]); b = 0.0; L = []\n"
                "    for _ in range(steps):\n"
                "        r = X @ w + b - y\n"
                "        L.append(np.mean(r ** 2))\n"
                "        w = w - learning_rate * 2 * X.T @ r / n\n"
                "        b = b - learning_rate * 2 * np.mean(X @ w + b - y)\n"
                "    return w, b, L\n"),
            "losses recorded after each update": (
                "def mse_gradient_descent(X, y, learning_rate, steps):\n"
                "    n = len(y); w = np.zeros(X.shape[1]); b = 0.0; L = []\n"
                "    for _ in range(steps):\n"
                "        r = X @ w + b - y\n"
                "        w = w - learning_rate * 2 * X.T @ r / n\n"
                "        b = b - learning_rate * 2 * r.mean()\n"
                "        L.append(np.mean((X @ w + b - y) ** 2))\n"
                "    return w, b, L\n"),
        },
        "right": {
            "bias folded into an augmented weight vector": (
                "def mse_gradient_descent(X, y, learning_rate, steps):\n"
                "    A = np.hstack([X, np.ones((X.shape[0], 1))])\n"
                "    theta = np.zeros(A.shape[1])\n"
                "    losses = []\n"
                "    for _ in range(steps):\n"
                "        r = A @ theta - y\n"
                "        losses.append(r @ r / len(y))\n"
                "        theta -= learning_rate * 2 * np.einsum('ij,i->j', A, r) / len(y)\n"
                "    return theta[:-1], theta[-1], losses\n"),
            "losses in a preallocated NumPy array": (
                "def mse_gradient_descent(X, y, learning_rate, steps):\n"
                "    n = len(y); w = np.zeros(X.shape[1]); b = 0.0; L = np.zeros(steps)\n"
                "    for t in range(steps):\n"
                "        r = X @ w + b - y\n"
                "        L[t] = np.mean(r ** 2)\n"
                "        w = w - learning_rate * 2 * X.T @ r / n\n"
                "        b = b - learning_rate * 2 * r.mean()\n"
                "    return w, b, L\n"),
        },
    },
}
