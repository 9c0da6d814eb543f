"""Wrong and right answers for ps4/initialization.ipynb."""

NOTEBOOK = "source/ps4/initialization.ipynb"


def _init_weights(xavier="rng.normal(0.0, math.sqrt(1.0 / fan_in), size=shape)",
                  xavier_uniform="rng.uniform(-bound, bound, size=shape)",
                  he="rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)",
                  small="0.01 * rng.standard_normal(shape)",
                  large="0.05 * rng.standard_normal(shape)"):
    """The reference init_weights with one or more branches swapped."""
    return (
        "def init_weights(kind, fan_in, fan_out, rng):\n"
        "    shape = (fan_in, fan_out)\n"
        "    bound = math.sqrt(6.0 / (fan_in + fan_out))\n"
        "    if kind == 'zeros':\n"
        "        return np.zeros(shape)\n"
        "    if kind == 'small':\n"
        f"        return {small}\n"
        "    if kind == 'large':\n"
        f"        return {large}\n"
        "    if kind == 'xavier':\n"
        f"        return {xavier}\n"
        "    if kind == 'xavier_uniform':\n"
        f"        return {xavier_uniform}\n"
        "    if kind == 'he':\n"
        f"        return {he}\n"
        "    raise ValueError(kind)\n")


def _supervise(cls, init, forward="return self.criterion(self.net(x).squeeze(), y)", modules="self.net.modules()"):
    return (
        f"class {cls}(nn.Module):\n"
        "    def __init__(self, criterion, net):\n"
        "        super().__init__()\n"
        "        self.net = net\n"
        "        self.criterion = criterion\n"
        f"        for m in {modules}:\n"
        "            if isinstance(m, nn.Linear):\n"
        + "".join(f"                {line}\n" for line in init.splitlines()) +
        "\n"
        "    def forward(self, x, y):\n"
        f"        {forward}\n")


_ZERO_BIAS = "if m.bias is not None:\n    nn.init.zeros_(m.bias)"

MUTANTS = {
    "init_weights": {
        "wrong": {
            "fan_out instead of fan_in (xavier and he)": _init_weights(
                xavier="rng.normal(0.0, math.sqrt(1.0 / fan_out), size=shape)",
                he="rng.normal(0.0, math.sqrt(2.0 / fan_out), size=shape)"),
            "variance used as the standard deviation": _init_weights(
                xavier="rng.normal(0.0, 1.0 / fan_in, size=shape)",
                he="rng.normal(0.0, 2.0 / fan_in, size=shape)"),
            "Glorot bound used as the std of a normal": _init_weights(
                xavier_uniform="rng.normal(0.0, bound, size=shape)"),
            "uniform where a normal is asked (He uniform)": _init_weights(
                he="rng.uniform(-math.sqrt(6.0 / fan_in), math.sqrt(6.0 / fan_in), size=shape)"),
            "Glorot-normal variance 2/(fan_in+fan_out) for 'xavier'": _init_weights(
                xavier="rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)"),
            "xavier_uniform bound sqrt(6/fan_in)": _init_weights(
                xavier_uniform="rng.uniform(-math.sqrt(6.0 / fan_in), math.sqrt(6.0 / fan_in), size=shape)"),
            "global np.random instead of rng": _init_weights(
                small="0.01 * np.random.randn(*shape)", large="0.05 * np.random.randn(*shape)",
                xavier="np.random.randn(*shape) / math.sqrt(fan_in)",
                xavier_uniform="np.random.uniform(-bound, bound, size=shape)",
                he="np.random.randn(*shape) * math.sqrt(2.0 / fan_in)"),
            # Reproducible through rng and statistically right: only the by-hand rule (no torch) catches it.
            "torch.nn.init with a generator seeded from rng": (
                "def init_weights(kind, fan_in, fan_out, rng):\n"
                "    g = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))\n"
                "    W = torch.empty(fan_out, fan_in, dtype=torch.float64)\n"
                "    if kind == 'zeros':\n"
                "        nn.init.zeros_(W)\n"
                "    elif kind in ('small', 'large'):\n"
                "        nn.init.normal_(W, 0.0, 0.01 if kind == 'small' else 0.05, generator=g)\n"
                "    elif kind == 'xavier':\n"
                "        nn.init.kaiming_normal_(W, nonlinearity='linear', generator=g)\n"
                "    elif kind == 'xavier_uniform':\n"
                "        nn.init.xavier_uniform_(W, generator=g)\n"
                "    else:\n"
                "        nn.init.kaiming_normal_(W, nonlinearity='relu', generator=g)\n"
                "    return W.T.numpy()\n"),
            "transposed shape (fan_out, fan_in)": (
                "def init_weights(kind, fan_in, fan_out, rng):\n"
                "    W = {'zeros': 0.0, 'small': 0.01, 'large': 0.05, 'xavier': (1 / fan_in) ** 0.5,\n"
                "         'he': (2 / fan_in) ** 0.5}\n"
                "    if kind == 'xavier_uniform':\n"
                "        b = (6 / (fan_in + fan_out)) ** 0.5\n"
                "        return rng.uniform(-b, b, (fan_out, fan_in))\n"
                "    return W[kind] * rng.standard_normal((fan_out, fan_in))\n"),
        },
        "right": {
            "table of scales, standard_normal * std, uniform from rng.random": (
                "def init_weights(kind, fan_in, fan_out, rng):\n"
                "    if kind == 'xavier_uniform':\n"
                "        a = np.sqrt(6 / (fan_in + fan_out))\n"
                "        return (2 * rng.random((fan_in, fan_out)) - 1) * a\n"
                "    std = {'zeros': 0.0, 'small': 0.01, 'large': 0.05,\n"
                "           'xavier': np.sqrt(1 / fan_in), 'he': np.sqrt(2 / fan_in)}[kind]\n"
                "    return std * rng.standard_normal(size=(fan_in, fan_out))\n"),
            "match statement, float32 output": (
                "def init_weights(kind, fan_in, fan_out, rng):\n"
                "    shape = (fan_in, fan_out)\n"
                "    match kind:\n"
                "        case 'zeros':\n"
                "            W = np.zeros(shape)\n"
                "        case 'small' | 'large':\n"
                "            W = rng.normal(size=shape) * (0.01 if kind == 'small' else 0.05)\n"
                "        case 'xavier':\n"
                "            W = rng.normal(scale=1 / np.sqrt(fan_in), size=shape)\n"
                "        case 'xavier_uniform':\n"
                "            lim = np.sqrt(6 / (fan_in + fan_out))\n"
                "            W = rng.uniform(low=-lim, high=lim, size=shape)\n"
                "        case 'he':\n"
                "            W = rng.normal(scale=np.sqrt(2 / fan_in), size=shape)\n"
                "        case _:\n"
                "            raise ValueError(kind)\n"
                "    return W.astype(np.float32)\n"),
            # Warnings never cost points.
            "with a UserWarning and a DeprecationWarning": (
                "import warnings\n"
                "def init_weights(kind, fan_in, fan_out, rng):\n"
                "    warnings.warn('init_weights: check your shapes', UserWarning)\n"
                "    warnings.warn('old API', DeprecationWarning)\n"
                "    if kind == 'zeros':\n"
                "        return np.zeros((fan_in, fan_out))\n"
                "    if kind == 'xavier_uniform':\n"
                "        a = math.sqrt(6 / (fan_in + fan_out))\n"
                "        return rng.uniform(-a, a, (fan_in, fan_out))\n"
                "    std = {'small': 0.01, 'large': 0.05, 'xavier': math.sqrt(1 / fan_in),\n"
                "           'he': math.sqrt(2 / fan_in)}[kind]\n"
                "    return rng.normal(0.0, std, (fan_in, fan_out))\n"),
        },
    },
    "forward_activations": {
        "wrong": {
            "input included as the first entry": (
                "def forward_activations(x, weights, activation):\n"
                "    outs = [x]\n"
                "    for W in weights:\n"
                "        outs.append(activation(outs[-1] @ W))\n"
                "    return outs\n"),
            "pre-activations stored": (
                "def forward_activations(x, weights, activation):\n"
                "    outs, h = [], x\n"
                "    for W in weights:\n"
                "        z = h @ W\n"
                "        outs.append(z)\n"
                "        h = activation(z)\n"
                "    return outs\n"),
            "no activation on the last layer": (
                "def forward_activations(x, weights, activation):\n"
                "    outs, h = [], x\n"
                "    for i, W in enumerate(weights):\n"
                "        h = h @ W\n"
                "        if i < len(weights) - 1:\n"
                "            h = activation(h)\n"
                "        outs.append(h)\n"
                "    return outs\n"),
            "activation applied before the product": (
                "def forward_activations(x, weights, activation):\n"
                "    outs, h = [], x\n"
                "    for W in weights:\n"
                "        h = activation(h) @ W\n"
                "        outs.append(h)\n"
                "    return outs\n"),
        },
        "right": {
            "list comprehension with a running value": (
                "def forward_activations(x, weights, activation):\n"
                "    h = np.asarray(x)\n"
                "    return [h := activation(np.matmul(h, W)) for W in weights]\n"),
        },
    },
    "layer_gradient_norms": {
        "wrong": {
            "old gradients not cleared": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    loss_fn(model(x), y).backward()\n"
                "    return [m.weight.grad.norm().item() for m in model.modules() if isinstance(m, nn.Linear)]\n"),
            "biases counted too": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    model.zero_grad()\n"
                "    loss_fn(model(x), y).backward()\n"
                "    return [p.grad.norm().item() for p in model.parameters()]\n"),
            # Right numbers, but the exercise is to write it: ps3's provided helper is off limits here.
            "calls utils.training's helper for ps3": (
                "from utils import training as _training\n"
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    return _training.layer_gradient_norms(model, x, y, loss_fn)\n"),
            "squared norm": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    model.zero_grad()\n"
                "    loss_fn(model(x), y).backward()\n"
                "    return [(m.weight.grad ** 2).sum().item() for m in model.modules() if isinstance(m, nn.Linear)]\n"),
            "norm of the weights, not of their gradients": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    model.zero_grad()\n"
                "    loss_fn(model(x), y).backward()\n"
                "    return [m.weight.norm().item() for m in model.modules() if isinstance(m, nn.Linear)]\n"),
            "only top-level layers (model.children())": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    model.zero_grad()\n"
                "    loss_fn(model(x), y).backward()\n"
                "    return [m.weight.grad.norm().item() for m in model.children() if isinstance(m, nn.Linear)]\n"),
        },
        "right": {
            "torch.autograd.grad, tensors returned": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]\n"
                "    grads = torch.autograd.grad(loss_fn(model(x), y), weights)\n"
                "    return [torch.linalg.norm(g) for g in grads]\n"),
            "torch.tensor(grad) copies (a UserWarning each)": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    model.zero_grad()\n"
                "    loss_fn(model(x), y).backward()\n"
                "    return [torch.tensor(m.weight.grad).norm().item()\n"
                "            for m in model.modules() if isinstance(m, nn.Linear)]\n"),
            "grads set to None, norm by hand": (
                "def layer_gradient_norms(model, x, y, loss_fn):\n"
                "    for p in model.parameters():\n"
                "        p.grad = None\n"
                "    loss = loss_fn(model(x), y)\n"
                "    loss.backward()\n"
                "    out = []\n"
                "    for m in model.modules():\n"
                "        if type(m) is nn.Linear:\n"
                "            out.append(float(m.weight.grad.pow(2).sum().sqrt()))\n"
                "    return out\n"),
        },
    },
    "Supervise_random_weights": {
        "wrong": {
            "std 0.1 (0.01 read as the variance)": _supervise(
                "Supervise_random_weights", "nn.init.normal_(m.weight, 0.0, 0.1)\n" + _ZERO_BIAS),
            "uniform(-0.01, 0.01)": _supervise(
                "Supervise_random_weights", "nn.init.uniform_(m.weight, -0.01, 0.01)\n" + _ZERO_BIAS),
            "only top-level layers (net.children())": _supervise(
                "Supervise_random_weights", "nn.init.normal_(m.weight, 0.0, 0.01)\n" + _ZERO_BIAS,
                modules="self.net.children()"),
            "biases left at PyTorch's default": _supervise(
                "Supervise_random_weights", "nn.init.normal_(m.weight, 0.0, 0.01)"),
            "output not squeezed": _supervise(
                "Supervise_random_weights", "nn.init.normal_(m.weight, 0.0, 0.01)\n" + _ZERO_BIAS,
                forward="return self.criterion(self.net(x), y)"),
        },
        "right": {
            "weight.data.normal_ and bias.data.zero_": _supervise(
                "Supervise_random_weights",
                "m.weight.data.normal_(0, 0.01)\nif m.bias is not None:\n    m.bias.data.zero_()"),
            "randn * 0.01 copied in under no_grad": _supervise(
                "Supervise_random_weights",
                "with torch.no_grad():\n    m.weight.copy_(torch.randn(m.weight.shape) * 0.01)\n"
                "    if m.bias is not None:\n        m.bias.fill_(0.0)",
                forward="out = self.net(x)\n        return self.criterion(torch.squeeze(out), y)"),
        },
    },
    "Supervise_Kaiming_weights": {
        "wrong": {
            "mode='fan_out'": _supervise(
                "Supervise_Kaiming_weights",
                "nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')\n" + _ZERO_BIAS),
            "kaiming_uniform_ instead of normal": _supervise(
                "Supervise_Kaiming_weights",
                "nn.init.kaiming_uniform_(m.weight, nonlinearity='relu')\n" + _ZERO_BIAS),
            "Xavier normal instead of He": _supervise(
                "Supervise_Kaiming_weights", "nn.init.xavier_normal_(m.weight)\n" + _ZERO_BIAS),
            "variance 2/fan_in used as std": _supervise(
                "Supervise_Kaiming_weights",
                "nn.init.normal_(m.weight, 0.0, 2.0 / m.in_features)\n" + _ZERO_BIAS),
            "fan-in read from weight.shape[0] (that is fan-out)": _supervise(
                "Supervise_Kaiming_weights",
                "nn.init.normal_(m.weight, 0.0, (2.0 / m.weight.shape[0]) ** 0.5)\n" + _ZERO_BIAS),
            "gain 1 (nonlinearity='linear')": _supervise(
                "Supervise_Kaiming_weights",
                "nn.init.kaiming_normal_(m.weight, nonlinearity='linear')\n" + _ZERO_BIAS),
        },
        "right": {
            "by hand: sqrt(2 / in_features), under no_grad": _supervise(
                "Supervise_Kaiming_weights",
                "with torch.no_grad():\n    m.weight.normal_(0.0, math.sqrt(2.0 / m.in_features))\n"
                "    if m.bias is not None:\n        m.bias.zero_()"),
            "kaiming_normal_ with its defaults": _supervise(
                "Supervise_Kaiming_weights", "nn.init.kaiming_normal_(m.weight)\n" + _ZERO_BIAS),
        },
    },
}
