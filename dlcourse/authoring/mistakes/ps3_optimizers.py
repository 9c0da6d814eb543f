"""Wrong and right answers for ps3/optimizers.ipynb."""

NOTEBOOK = "source/ps3/optimizers.ipynb"


def _sgd(step_body, init="        self.params = list(parameters)\n", zero=None):
    zero = zero or ("    def zero_grad(self):\n"
                    "        for p in self.params:\n"
                    "            p.grad = None\n")
    return ("class SimpleGradientDescent:\n"
            "    def __init__(self, parameters, lr=0.1, weight_decay=0.0):\n"
            + init +
            "        self.lr, self.weight_decay = lr, weight_decay\n"
            + zero +
            "    def step(self):\n"
            "        with torch.no_grad():\n"
            "            for p in self.params:\n"
            "                if p.grad is None:\n"
            "                    continue\n"
            + step_body)


def _momentum(update):
    return ("class SGDMomentum:\n"
            "    def __init__(self, parameters, lr=0.1, momentum=0.9, weight_decay=0.0):\n"
            "        self.params = list(parameters)\n"
            "        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay\n"
            "        self.v = [torch.zeros_like(p) for p in self.params]\n"
            "    def zero_grad(self):\n"
            "        for p in self.params:\n"
            "            p.grad = None\n"
            "    def step(self):\n"
            "        with torch.no_grad():\n"
            "            for i, p in enumerate(self.params):\n"
            "                if p.grad is None:\n"
            "                    continue\n"
            + update)


def _adam(update, cls="ADAMOptimizer", tick_in_step="        self.t += 1\n", tick_in_loop=""):
    return (f"class {cls}:\n"
            "    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):\n"
            "        self.params = list(parameters)\n"
            "        self.lr, self.eps, self.wd = lr, eps, weight_decay\n"
            "        self.b1, self.b2 = betas\n"
            "        self.m = [torch.zeros_like(p) for p in self.params]\n"
            "        self.v = [torch.zeros_like(p) for p in self.params]\n"
            "        self.t = 0\n"
            "    def zero_grad(self):\n"
            "        for p in self.params:\n"
            "            p.grad = None\n"
            "    def step(self):\n"
            + tick_in_step +
            "        with torch.no_grad():\n"
            "            for i, p in enumerate(self.params):\n"
            "                if p.grad is None:\n"
            "                    continue\n"
            + tick_in_loop + update)


_ADAM_L2 = ("                g = p.grad + self.wd * p\n"
            "                self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g\n"
            "                self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g\n")
_ADAM_W = ("                p.mul_(1 - self.lr * self.wd)\n"
           "                g = p.grad\n"
           "                self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g\n"
           "                self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g\n")
_ADAM_STEP = ("                m_hat = self.m[i] / (1 - self.b1 ** self.t)\n"
              "                v_hat = self.v[i] / (1 - self.b2 ** self.t)\n"
              "                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)\n")


def _residual(forward, init="        self.f = nn.Sequential(*layers)\n"):
    return ("class ResidualSequence(nn.Module):\n"
            "    def __init__(self, *layers):\n"
            "        super().__init__()\n"
            + init +
            "    def forward(self, x):\n"
            + forward)


def _resnet(block, head="    layers = [nn.Linear(input_size, hidden_dims)]\n", n="n_blocks",
            tail="    layers += [nn.Linear(hidden_dims, 1), nn.Sigmoid()]\n"):
    return ("def make_residual_net(input_size, hidden_dims, fan_out_dims, n_blocks, batchnorm=False):\n"
            + head +
            f"    for _ in range({n}):\n"
            + block + tail +
            "    return nn.Sequential(*layers)\n")


_BLOCK = ("        b = [nn.BatchNorm1d(hidden_dims)] if batchnorm else []\n"
          "        b += [nn.ReLU(), nn.Linear(hidden_dims, fan_out_dims), nn.ReLU(), nn.Linear(fan_out_dims, hidden_dims)]\n"
          "        layers.append(ResidualSequence(*b))\n")


def _best(net, opt, epochs=6, batch=64):
    return ("def make_best_net():\n"
            f"    return {net}\n"
            "def make_best_optimizer(parameters):\n"
            f"    return {opt}\n"
            f"best_epochs = {epochs}\n"
            f"best_batch_size = {batch}\n")


MUTANTS = {
    "SimpleGradientDescent": {
        "wrong": {
            # the hidden test's parameter that never gets a gradient: with weight decay it must not move
            "parameters without a gradient decayed (None treated as a zero gradient)": (
                "class SimpleGradientDescent:\n"
                "    def __init__(self, parameters, lr=0.1, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.weight_decay = lr, weight_decay\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            p.grad = None\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        for p in self.params:\n"
                "            g = p.grad if p.grad is not None else torch.zeros_like(p)\n"
                "            p -= self.lr * (g + self.weight_decay * p)\n"),
            "zero_grad creates zero gradients for every parameter (unused ones then decayed)": _sgd(
                "                p -= self.lr * (p.grad + self.weight_decay * p)\n",
                zero="    def zero_grad(self):\n        for p in self.params:\n            p.grad = torch.zeros_like(p)\n"),
            "weight decay not scaled by lr": _sgd("                p -= self.lr * p.grad + self.weight_decay * p\n"),
            "weight decay with the wrong sign": _sgd("                p -= self.lr * (p.grad - self.weight_decay * p)\n"),
            "keeps the generator (exhausted after one pass)": _sgd(
                "                p -= self.lr * (p.grad + self.weight_decay * p)\n",
                init="        self.params = parameters\n"),
            "zero_grad calls .grad on the list": _sgd(
                "                p -= self.lr * (p.grad + self.weight_decay * p)\n",
                zero="    def zero_grad(self):\n        self.params.grad = None\n"),
            "zero_grad zeroes without a None check (crashes before the first backward)": _sgd(
                "                p -= self.lr * (p.grad + self.weight_decay * p)\n",
                zero="    def zero_grad(self):\n        for p in self.params:\n            p.grad.zero_()\n"),
            "zero_grad does nothing (gradients accumulate)": _sgd(
                "                p -= self.lr * (p.grad + self.weight_decay * p)\n",
                zero="    def zero_grad(self):\n        pass\n"),
            "rebinds p instead of updating in place": (
                "class SimpleGradientDescent:\n"
                "    def __init__(self, parameters, lr=0.1, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.weight_decay = lr, weight_decay\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            p.grad = None\n"
                "    def step(self):\n"
                "        with torch.no_grad():\n"
                "            for p in self.params:\n"
                "                if p.grad is not None:\n"
                "                    p = p - self.lr * (p.grad + self.weight_decay * p)\n"),
            "delegates to torch.optim.SGD (not by hand)": (
                "class SimpleGradientDescent:\n"
                "    def __init__(self, parameters, lr=0.1, weight_decay=0.0):\n"
                "        self.inner = torch.optim.SGD(parameters, lr=lr, weight_decay=weight_decay)\n"
                "    def zero_grad(self):\n"
                "        self.inner.zero_grad()\n"
                "    def step(self):\n"
                "        self.inner.step()\n"),
            "torch.optim's functional sgd update (not by hand)": _sgd(
                "                torch.optim._functional.sgd([p], [p.grad], [None], weight_decay=self.weight_decay,\n"
                "                                            momentum=0.0, lr=self.lr, dampening=0.0, nesterov=False,\n"
                "                                            maximize=False)\n"),
        },
        "right": {
            "subclass of torch.optim.Optimizer for the bookkeeping, update by hand": (
                "class SimpleGradientDescent(torch.optim.Optimizer):\n"
                "    def __init__(self, parameters, lr=0.1, weight_decay=0.0):\n"
                "        super().__init__(parameters, dict(lr=lr, weight_decay=weight_decay))\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        for group in self.param_groups:\n"
                "            for p in group['params']:\n"
                "                if p.grad is not None:\n"
                "                    p.sub_(group['lr'] * (p.grad + group['weight_decay'] * p))\n"),
            "in-place ops on .data, zero_grad zeroes": (
                "class SimpleGradientDescent:\n"
                "    def __init__(self, parameters, lr=0.1, weight_decay=0.0):\n"
                "        self.ps = [q for q in parameters]\n"
                "        self.lr = float(lr)\n"
                "        self.wd = weight_decay\n"
                "    def zero_grad(self):\n"
                "        for p in self.ps:\n"
                "            if p.grad is not None:\n"
                "                p.grad.zero_()\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        for p in self.ps:\n"
                "            if p.grad is not None:\n"
                "                d = p.grad.add(p, alpha=self.wd)\n"
                "                p.data.add_(d, alpha=-self.lr)\n"),
        },
    },
    "SGDMomentum": {
        "wrong": {
            "parameters without a gradient decayed through the velocity (None treated as zero)": (
                "class SGDMomentum:\n"
                "    def __init__(self, parameters, lr=0.1, momentum=0.9, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay\n"
                "        self.v = [torch.zeros_like(p) for p in self.params]\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            p.grad = None\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        for p, v in zip(self.params, self.v):\n"
                "            g = (p.grad if p.grad is not None else 0.0) + self.weight_decay * p\n"
                "            v.mul_(self.momentum).add_(g)\n"
                "            p -= self.lr * v\n"),
            "momentum as an EMA (dampened)": _momentum(
                "                g = p.grad + self.weight_decay * p\n"
                "                self.v[i] = self.momentum * self.v[i] + (1 - self.momentum) * g\n"
                "                p -= self.lr * self.v[i]\n"),
            "parameter moved with the old velocity, before adding g": _momentum(
                "                g = p.grad + self.weight_decay * p\n"
                "                p -= self.lr * self.v[i]\n"
                "                self.v[i] = self.momentum * self.v[i] + g\n"),
            "weight decay added after the velocity": _momentum(
                "                self.v[i] = self.momentum * self.v[i] + p.grad\n"
                "                p -= self.lr * (self.v[i] + self.weight_decay * p)\n"),
            "velocity not kept between steps": _momentum(
                "                g = p.grad + self.weight_decay * p\n"
                "                v = self.momentum * torch.zeros_like(p) + g\n"
                "                p -= self.lr * v\n"),
            "velocity made with torch.zeros(p.shape) (float32), updated in place": (
                "class SGDMomentum:\n"
                "    def __init__(self, parameters, lr=0.1, momentum=0.9, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay\n"
                "        self.v = [torch.zeros(p.shape) for p in self.params]\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            p.grad = None\n"
                "    def step(self):\n"
                "        with torch.no_grad():\n"
                "            for p, v in zip(self.params, self.v):\n"
                "                if p.grad is None:\n"
                "                    continue\n"
                "                v.mul_(self.momentum).add_(p.grad + self.weight_decay * p)\n"
                "                p -= self.lr * v\n"),
            "subclass of torch.optim.SGD (not by hand)": (
                "class SGDMomentum(torch.optim.SGD):\n"
                "    def __init__(self, parameters, lr=0.1, momentum=0.9, weight_decay=0.0):\n"
                "        super().__init__(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)\n"),
        },
        "right": {
            "velocity dict keyed by parameter, lazily created": (
                "class SGDMomentum:\n"
                "    def __init__(self, parameters, lr=0.1, momentum=0.9, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.mu, self.wd = lr, momentum, weight_decay\n"
                "        self.state = {}\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            if p.grad is not None:\n"
                "                p.grad.detach_()\n"
                "                p.grad.zero_()\n"
                "    def step(self):\n"
                "        with torch.no_grad():\n"
                "            for p in self.params:\n"
                "                if p.grad is None:\n"
                "                    continue\n"
                "                g = p.grad + self.wd * p\n"
                "                if p not in self.state:\n"
                "                    self.state[p] = g.clone()\n"
                "                else:\n"
                "                    self.state[p].mul_(self.mu).add_(g)\n"
                "                p.sub_(self.lr * self.state[p])\n"),
            "subclass of torch.optim.Optimizer, velocity in self.state, float32 state never kept": (
                "class SGDMomentum(torch.optim.Optimizer):\n"
                "    def __init__(self, parameters, lr=0.1, momentum=0.9, weight_decay=0.0):\n"
                "        super().__init__(parameters, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        for group in self.param_groups:\n"
                "            for p in group['params']:\n"
                "                if p.grad is None:\n"
                "                    continue\n"
                "                g = p.grad + group['weight_decay'] * p\n"
                "                v = self.state[p].get('v', torch.zeros(p.shape))\n"
                "                v = group['momentum'] * v + g\n"
                "                self.state[p]['v'] = v\n"
                "                p.sub_(group['lr'] * v)\n"),
        },
    },
    "grad_stats": {
        "wrong": {
            "mean of absolute values": "mean_grads = grads.abs().mean(0)\nrms_grads = grads.pow(2).mean(0).sqrt()\n",
            "RMS without the square root": "mean_grads = grads.mean(0)\nrms_grads = grads.pow(2).mean(0)\n",
            "standard deviation instead of RMS": "mean_grads = grads.mean(0)\nrms_grads = grads.std(0, unbiased=False)\n",
            "averaged over the wrong axis": "mean_grads = grads.mean(1)\nrms_grads = grads.pow(2).mean(1).sqrt()\n",
        },
        "right": {
            "plain NumPy arrays (the provided cell after the tests must print them too)": (
                "_g = grads.numpy()\n"
                "mean_grads = _g.mean(axis=0)\n"
                "rms_grads = np.sqrt((_g ** 2).mean(axis=0))\n"),
            "NumPy, with a loop-free norm": (
                "_g = grads.numpy()\n"
                "mean_grads = torch.tensor(_g.sum(axis=0) / len(_g))\n"
                "rms_grads = torch.tensor(np.linalg.norm(_g, axis=0) / np.sqrt(len(_g)))\n"),
        },
    },
    "ema_update": {
        "wrong": {
            "returns (ema_star, ema), the wrong order": (
                "def ema_update(x_t, beta, t, ema_star_old):\n"
                "    s = beta * ema_star_old + (1 - beta) * x_t\n"
                "    return s, s / (1 - beta ** t)\n"),
            "no bias correction": (
                "def ema_update(x_t, beta, t, ema_star_old):\n"
                "    s = beta * ema_star_old + (1 - beta) * x_t\n"
                "    return s, s\n"),
            "bias correction off by one": (
                "def ema_update(x_t, beta, t, ema_star_old):\n"
                "    s = beta * ema_star_old + (1 - beta) * x_t\n"
                "    return s / (1 - beta ** (t + 1)), s\n"),
            "beta on the new value": (
                "def ema_update(x_t, beta, t, ema_star_old):\n"
                "    s = (1 - beta) * ema_star_old + beta * x_t\n"
                "    return s / (1 - beta ** t), s\n"),
            "returns the corrected value as the running state": (
                "def ema_update(x_t, beta, t, ema_star_old):\n"
                "    s = beta * ema_star_old + (1 - beta) * x_t\n"
                "    e = s / (1 - beta ** t)\n"
                "    return e, e\n"),
        },
        "right": {
            "lerp form, correction by multiplication": (
                "def ema_update(x_t, beta, t, ema_star_old):\n"
                "    ema_star = ema_star_old + (1 - beta) * (x_t - ema_star_old)\n"
                "    return ema_star * (1.0 / (1.0 - beta ** t)), ema_star\n"),
        },
    },
    "ADAMOptimizer": {
        "wrong": {
            "parameters without a gradient updated with the L2 term alone (None treated as zero)": _adam(
                _ADAM_L2 + _ADAM_STEP).replace(
                "                if p.grad is None:\n                    continue\n", "").replace(
                "g = p.grad + self.wd * p", "g = (p.grad if p.grad is not None else 0.0) + self.wd * p"),
            "missing bias correction": _adam(
                _ADAM_L2 + "                p -= self.lr * self.m[i] / (self.v[i].sqrt() + self.eps)\n"),
            "bias correction off by one": _adam(
                _ADAM_L2 +
                "                m_hat = self.m[i] / (1 - self.b1 ** (self.t + 1))\n"
                "                v_hat = self.v[i] / (1 - self.b2 ** (self.t + 1))\n"
                "                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)\n"),
            "time step advanced per parameter": _adam(_ADAM_L2 + _ADAM_STEP, tick_in_step="",
                                                      tick_in_loop="                self.t += 1\n"),
            "eps inside the square root": _adam(
                _ADAM_L2 +
                "                m_hat = self.m[i] / (1 - self.b1 ** self.t)\n"
                "                v_hat = self.v[i] / (1 - self.b2 ** self.t)\n"
                "                p -= self.lr * m_hat / (v_hat + self.eps).sqrt()\n"),
            "decoupled decay where L2 was asked": _adam(_ADAM_W + _ADAM_STEP),
            "weight decay left out": _adam(
                "                g = p.grad\n"
                "                self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g\n"
                "                self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g\n" + _ADAM_STEP),
            "the paper's efficient form: eps added to sqrt(v), corrections in the step size": _adam(
                _ADAM_L2 +
                "                step = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)\n"
                "                p -= step * self.m[i] / (self.v[i].sqrt() + self.eps)\n"),
            "m and v made with torch.zeros(p.shape) (float32), updated in place": (
                "class ADAMOptimizer:\n"
                "    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.eps, self.wd = lr, eps, weight_decay\n"
                "        self.b1, self.b2 = betas\n"
                "        self.m = [torch.zeros(p.shape) for p in self.params]\n"
                "        self.v = [torch.zeros(p.shape) for p in self.params]\n"
                "        self.t = 0\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            p.grad = None\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        self.t += 1\n"
                "        for p, m, v in zip(self.params, self.m, self.v):\n"
                "            if p.grad is None:\n"
                "                continue\n"
                "            g = p.grad + self.wd * p\n"
                "            m.mul_(self.b1).add_((1 - self.b1) * g)\n"
                "            v.mul_(self.b2).add_((1 - self.b2) * g * g)\n"
                "            m_hat = m / (1 - self.b1 ** self.t)\n"
                "            v_hat = v / (1 - self.b2 ** self.t)\n"
                "            p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)\n"),
            "subclass of torch.optim.Adam (not by hand)": (
                "class ADAMOptimizer(torch.optim.Adam):\n"
                "    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):\n"
                "        super().__init__(parameters, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)\n"),
        },
        "right": {
            "torch-style: in-place lerp_/addcmul_, corrections folded into the step size": (
                "class ADAMOptimizer:\n"
                "    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.betas, self.eps, self.wd = lr, betas, eps, weight_decay\n"
                "        self.state = [None] * len(self.params)\n"
                "        self.steps = 0\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            p.grad = None\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        self.steps += 1\n"
                "        b1, b2 = self.betas\n"
                "        bc1, bc2 = 1 - b1 ** self.steps, 1 - b2 ** self.steps\n"
                "        for i, p in enumerate(self.params):\n"
                "            if p.grad is None:\n"
                "                continue\n"
                "            g = p.grad.add(p, alpha=self.wd) if self.wd else p.grad\n"
                "            if self.state[i] is None:\n"
                "                self.state[i] = (torch.zeros_like(p), torch.zeros_like(p))\n"
                "            m, v = self.state[i]\n"
                "            m.lerp_(g, 1 - b1)\n"
                "            v.mul_(b2).addcmul_(g, g, value=1 - b2)\n"
                "            denom = (v.sqrt() / math.sqrt(bc2)).add_(self.eps)\n"
                "            p.addcdiv_(m, denom, value=-self.lr / bc1)\n"),
            # torch.optim.Adam's own layout: a step counter per parameter, advanced once per step() for each
            # parameter that has a gradient (the same as one shared counter); zero_grad zeroes existing gradients
            "a step counter per parameter (as torch.optim.Adam keeps it), gradients zeroed in place": (
                "class ADAMOptimizer:\n"
                "    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):\n"
                "        self.params = list(parameters)\n"
                "        self.lr, self.betas, self.eps, self.wd = lr, betas, eps, weight_decay\n"
                "        self.state = {}\n"
                "    def zero_grad(self):\n"
                "        for p in self.params:\n"
                "            if p.grad is not None:\n"
                "                p.grad.zero_()\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        b1, b2 = self.betas\n"
                "        for p in self.params:\n"
                "            if p.grad is None:\n"
                "                continue\n"
                "            g = p.grad + self.wd * p\n"
                "            st = self.state.setdefault(p, {'t': 0, 'm': torch.zeros_like(p), 'v': torch.zeros_like(p)})\n"
                "            st['t'] += 1\n"
                "            st['m'].lerp_(g, 1 - b1)\n"
                "            st['v'].mul_(b2).addcmul_(g, g, value=1 - b2)\n"
                "            bc1, bc2 = 1 - b1 ** st['t'], 1 - b2 ** st['t']\n"
                "            denom = st['v'].sqrt().div_(math.sqrt(bc2)).add_(self.eps)\n"
                "            p.addcdiv_(st['m'], denom, value=-self.lr / bc1)\n"),
            "subclass of torch.optim.Optimizer, state per parameter, no ema_update": (
                "class ADAMOptimizer(torch.optim.Optimizer):\n"
                "    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):\n"
                "        super().__init__(parameters, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))\n"
                "        self.t = 0\n"
                "    @torch.no_grad()\n"
                "    def step(self):\n"
                "        self.t += 1\n"
                "        for group in self.param_groups:\n"
                "            b1, b2 = group['betas']\n"
                "            for p in group['params']:\n"
                "                if p.grad is None:\n"
                "                    continue\n"
                "                g = p.grad + group['weight_decay'] * p\n"
                "                state = self.state[p]\n"
                "                if not state:\n"
                "                    state['m'], state['v'] = torch.zeros_like(p), torch.zeros_like(p)\n"
                "                state['m'].mul_(b1).add_(g, alpha=1 - b1)\n"
                "                state['v'].mul_(b2).addcmul_(g, g, value=1 - b2)\n"
                "                m_hat = state['m'] / (1 - b1 ** self.t)\n"
                "                v_hat = state['v'] / (1 - b2 ** self.t)\n"
                "                p.sub_(group['lr'] * m_hat / (v_hat.sqrt() + group['eps']))\n"),
        },
    },
    "AdamWOptimizer": {
        "wrong": {
            "decoupled decay applied before the None check (parameters without a gradient decayed)": _adam(
                _ADAM_W.replace("                p.mul_(1 - self.lr * self.wd)\n", "") + _ADAM_STEP,
                cls="AdamWOptimizer", tick_in_loop="").replace(
                "            for i, p in enumerate(self.params):\n",
                "            for i, p in enumerate(self.params):\n                p.mul_(1 - self.lr * self.wd)\n"),
            "L2 decay in the gradient (plain Adam)": _adam(_ADAM_L2 + _ADAM_STEP, cls="AdamWOptimizer"),
            "decay not scaled by lr": _adam(
                "                p.mul_(1 - self.wd)\n"
                "                g = p.grad\n"
                "                self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g\n"
                "                self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g\n" + _ADAM_STEP,
                cls="AdamWOptimizer"),
            "missing bias correction": _adam(
                _ADAM_W + "                p -= self.lr * self.m[i] / (self.v[i].sqrt() + self.eps)\n",
                cls="AdamWOptimizer"),
            "time step advanced per parameter": _adam(_ADAM_W + _ADAM_STEP, cls="AdamWOptimizer", tick_in_step="",
                                                      tick_in_loop="                self.t += 1\n"),
            "delegates to torch.optim.AdamW (not by hand)": (
                "class AdamWOptimizer:\n"
                "    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):\n"
                "        self.inner = torch.optim.AdamW(parameters, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)\n"
                "    def zero_grad(self):\n"
                "        self.inner.zero_grad()\n"
                "    def step(self):\n"
                "        self.inner.step()\n"),
            "m and v made with torch.zeros(p.shape) (float32), updated in place": {
                "code": _adam(
                    "                p.mul_(1 - self.lr * self.wd)\n"
                    "                self.m[i].mul_(self.b1).add_((1 - self.b1) * p.grad)\n"
                    "                self.v[i].mul_(self.b2).add_((1 - self.b2) * p.grad * p.grad)\n" + _ADAM_STEP,
                    cls="AdamWOptimizer").replace("torch.zeros_like(p)", "torch.zeros(p.shape)")},
        },
        "right": {
            "decay applied after computing the Adam direction (from the old p)": _adam(
                "                g = p.grad\n"
                "                self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g\n"
                "                self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g\n"
                "                m_hat = self.m[i] / (1 - self.b1 ** self.t)\n"
                "                v_hat = self.v[i] / (1 - self.b2 ** self.t)\n"
                "                upd = m_hat / (v_hat.sqrt() + self.eps)\n"
                "                p.copy_(p * (1 - self.lr * self.wd) - self.lr * upd)\n",
                cls="AdamWOptimizer"),
        },
    },
    "ResidualSequence": {
        "wrong": {
            "no skip (returns f(x))": _residual("        return self.f(x)\n"),
            "identity (returns x)": _residual("        return x\n"),
            "ReLU after the sum": _residual("        return torch.relu(self.f(x) + x)\n"),
            "layers kept in a Python list (parameters not registered)": _residual(
                "        for layer in self.layers:\n"
                "            out = layer(x) if layer is self.layers[0] else layer(out)\n"
                "        return out + x\n",
                init="        self.layers = list(layers)\n"),
            "only the first layer applied": _residual(
                "        return self.layers[0](x) + x\n", init="        self.layers = nn.ModuleList(layers)\n"),
            "out = self.f(x); out += x (doubles the caller's x when f is the identity)": _residual(
                "        out = self.f(x)\n"
                "        out += x\n"
                "        return out\n"),
        },
        "right": {
            "in-place add onto a new tensor": _residual(
                "        out = self.f(x).clone()\n"
                "        out += x\n"
                "        return out\n"),
            "ModuleList and a loop": _residual(
                "        out = x\n"
                "        for layer in self.blocks:\n"
                "            out = layer(out)\n"
                "        return x + out\n",
                init="        self.blocks = nn.ModuleList(layers)\n"),
        },
    },
    "make_residual_net": {
        "wrong": {
            "one block object repeated n_blocks times (shared weights)": (
                "def make_residual_net(input_size, hidden_dims, fan_out_dims, n_blocks, batchnorm=False):\n"
                "    b = [nn.BatchNorm1d(hidden_dims)] if batchnorm else []\n"
                "    b += [nn.ReLU(), nn.Linear(hidden_dims, fan_out_dims), nn.ReLU(), nn.Linear(fan_out_dims, hidden_dims)]\n"
                "    block = ResidualSequence(*b)\n"
                "    return nn.Sequential(nn.Linear(input_size, hidden_dims), *[block] * n_blocks,\n"
                "                         nn.Linear(hidden_dims, 1), nn.Sigmoid())\n"),
            "blocks without the skip (nn.Sequential)": _resnet(
                "        b = [nn.BatchNorm1d(hidden_dims)] if batchnorm else []\n"
                "        b += [nn.ReLU(), nn.Linear(hidden_dims, fan_out_dims), nn.ReLU(), nn.Linear(fan_out_dims, hidden_dims)]\n"
                "        layers.append(nn.Sequential(*b))\n"),
            "BatchNorm ignored": _resnet(
                "        layers.append(ResidualSequence(nn.ReLU(), nn.Linear(hidden_dims, fan_out_dims), nn.ReLU(),\n"
                "                                       nn.Linear(fan_out_dims, hidden_dims)))\n"),
            "no final sigmoid": _resnet(_BLOCK, tail="    layers += [nn.Linear(hidden_dims, 1)]\n"),
            "one block too many": _resnet(_BLOCK, n="n_blocks + 1"),
            "BatchNorm after the first ReLU": _resnet(
                "        b = [nn.ReLU()] + ([nn.BatchNorm1d(hidden_dims)] if batchnorm else [])\n"
                "        b += [nn.Linear(hidden_dims, fan_out_dims), nn.ReLU(), nn.Linear(fan_out_dims, hidden_dims)]\n"
                "        layers.append(ResidualSequence(*b))\n"),
        },
        "right": {
            "one nn.ReLU() instance shared by every block (modules() lists it once)": (
                "def make_residual_net(input_size, hidden_dims, fan_out_dims, n_blocks, batchnorm=False):\n"
                "    relu = nn.ReLU()\n"
                "    layers = [nn.Linear(input_size, hidden_dims)]\n"
                "    for _ in range(n_blocks):\n"
                "        b = [nn.BatchNorm1d(hidden_dims)] if batchnorm else []\n"
                "        b += [relu, nn.Linear(hidden_dims, fan_out_dims), relu, nn.Linear(fan_out_dims, hidden_dims)]\n"
                "        layers.append(ResidualSequence(*b))\n"
                "    return nn.Sequential(*layers, nn.Linear(hidden_dims, 1), nn.Sigmoid())\n"),
            "built with add_module on an empty Sequential": (
                "def make_residual_net(input_size, hidden_dims, fan_out_dims, n_blocks, batchnorm=False):\n"
                "    net = nn.Sequential()\n"
                "    net.add_module('input', nn.Linear(input_size, hidden_dims))\n"
                "    for k in range(n_blocks):\n"
                "        parts = ([nn.BatchNorm1d(hidden_dims)] if batchnorm else []) + [\n"
                "            nn.ReLU(), nn.Linear(hidden_dims, fan_out_dims), nn.ReLU(), nn.Linear(fan_out_dims, hidden_dims)]\n"
                "        net.add_module(f'block{k}', ResidualSequence(*parts))\n"
                "    net.add_module('out', nn.Linear(hidden_dims, 1))\n"
                "    net.add_module('prob', nn.Sigmoid())\n"
                "    return net\n"),
        },
    },
    "best_network": {
        "wrong": {
            "linear model (no hidden activation)": _best("nn.Sequential(nn.Linear(36, 64), nn.Linear(64, 1), nn.Sigmoid())",
                                                         "torch.optim.Adam(parameters, lr=3e-3)"),
            "deep sigmoid network with plain SGD": _best("make_mlp([32] * 6, nn.Sigmoid)",
                                                         "torch.optim.SGD(parameters, lr=0.05)"),
            "logits out, no sigmoid": _best("nn.Sequential(nn.Linear(36, 64), nn.ReLU(), nn.Linear(64, 1))",
                                            "torch.optim.Adam(parameters, lr=3e-3)"),
            # one epoch over the limit of 20 (large batches, so the replayed training cell stays quick)
            "too many epochs (21 > 20)": _best("make_mlp([64, 64], nn.ReLU)", "torch.optim.Adam(parameters, lr=1e-3)",
                                               epochs=21, batch=512),
            # 4.3 million parameters: 16 epochs would take minutes; the limit stops it before training
            "giant network (4.3M parameters > 100k)": _best("make_mlp([2048, 2048], nn.ReLU)",
                                                            "torch.optim.Adam(parameters, lr=1e-3)",
                                                            epochs=16, batch=64),
            "too many minibatch updates (20 epochs at batch 32: 5000 > 2000)": _best(
                "make_mlp([64, 64], nn.ReLU)", "torch.optim.Adam(parameters, lr=1e-3)", epochs=20, batch=32),
        },
        "right": {
            "wide ReLU MLP with torch Adam, batch 128": _best("make_mlp([128, 64], nn.ReLU)",
                                                              "torch.optim.Adam(parameters, lr=3e-3)",
                                                              epochs=8, batch=128),
        },
    },
}
