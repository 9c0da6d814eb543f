"""Wrong and right answers for ps2/building_blocks.ipynb."""

NOTEBOOK = "source/ps2/building_blocks.ipynb"


def _fn(header, *body):
    return header + "\n" + "".join(f"    {line}\n" for line in body)


_SIG = "def sigmoid(x):"
_RELU = "def relu(x):"
_BCE = "def bce_loss(y, y_hat):"
_SB = "def sigmoid_backward(x, grad_out):"
_BB = "def bce_loss_backward(y, y_hat):"
_LF = "def linear_forward(x, w, b):"
_LB = "def linear_backward(x, w, grad_out):"
_M1 = "def model1(x, w, b):"
_NET = "def network(x, params):"
_ML = "def make_layer(d0, d1, activation):"
_EV = "def evaluate(params, x, y):"
_TE = "def train_epoch(params, x, y, learning_rate, batch_size):"
_XN = "def xnor_params():"
_TP = "def tent_params():"
_ST = "def sawtooth(x, k):"

_TRAIN_LOOP = [
    "order = torch.randperm(x.shape[0])",
    "losses, accs = [], []",
    "for start in range(0, x.shape[0], batch_size):",
    "    idx = order[start:start + batch_size]",
    "    y_hat = network(x[idx], params)",
    "    loss = bce_loss(y[idx], y_hat)",
    "    loss.backward()",
    "    with torch.no_grad():",
    "        for w, b, _ in params:",
    "{UPDATE}",
    "    losses.append(loss.item())",
    "    accs.append(((y_hat.detach() >= 0.5).double() == y[idx]).double().mean().item())",
    "return {RETURN}",
]


def _train(update=("            w -= learning_rate * w.grad", "            b -= learning_rate * b.grad",
                   "            w.grad = None", "            b.grad = None"),
           ret="float(np.mean(losses)), float(np.mean(accs))", order=None):
    lines = []
    for line in _TRAIN_LOOP:
        if line == "{UPDATE}":
            lines.extend(update)
        else:
            lines.append(line.replace("{RETURN}", ret))
    if order is not None:
        lines[0] = order
    return _fn(_TE, *lines)


MUTANTS = {
    "sigmoid": {
        "wrong": {
            "exp(x) / (1 + exp(x)) overflows to nan": _fn(_SIG, "return torch.exp(x) / (1 + torch.exp(x))"),
            "naive 1 / (1 + exp(-x)): nan gradient for x << 0": _fn(_SIG, "return 1 / (1 + torch.exp(-x))"),
            "sign error 1 / (1 + exp(x))": _fn(_SIG, "z = torch.exp(-torch.abs(x))",
                                                "return torch.where(x < 0, 1 / (1 + z), z / (1 + z))"),
            "torch.where with an overflowing branch": _fn(
                _SIG, "return torch.where(x >= 0, 1 / (1 + torch.exp(-x)), torch.exp(x) / (1 + torch.exp(x)))"),
            "NumPy inside (returns an array, no autograd)": _fn(
                _SIG, "a = x.detach().numpy()", "return torch.from_numpy(np.exp(-np.logaddexp(0, -a)))"),
            "converts to float64": _fn(_SIG, "x = x.double()", "e_neg = torch.exp(x.clamp(max=0))",
                                       "e_pos = torch.exp(-x.clamp(min=0))",
                                       "return torch.where(x >= 0, 1 / (1 + e_pos), e_neg / (1 + e_neg))"),
            "exp(-|x|) with torch.abs: autograd slope 0 at x = 0": _fn(
                _SIG, "z = torch.exp(-torch.abs(x))", "return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))"),
            # library shortcuts: each spelling must be caught
            "torch.sigmoid": _fn(_SIG, "return torch.sigmoid(x)"),
            "Tensor.sigmoid method": _fn(_SIG, "return x.sigmoid()"),
            "nn.Sigmoid module": _fn(_SIG, "return torch.nn.Sigmoid()(x)"),
            "torch.special.expit, imported under another name": _fn(
                _SIG, "from torch.special import expit as logistic", "return logistic(x)"),
            "exp(-softplus(-x))": _fn(_SIG, "return torch.exp(-F.softplus(-x))"),
            "scipy.special.expit on NumPy": _fn(
                _SIG, "import scipy.special", "return torch.from_numpy(scipy.special.expit(x.detach().numpy()))"),
            "clamps x in place before the naive formula": _fn(
                _SIG, "x.clamp_(-500, 500)", "return 1 / (1 + torch.exp(-x))"),
            "clips x to [-20, 20] (wrong far out, gradient 0 there)": _fn(
                _SIG, "return 1 / (1 + torch.exp(-x.clamp(-20, 20)))"),
            "softmax of (0, x)": _fn(_SIG, "return torch.softmax(torch.stack([torch.zeros_like(x), x]), dim=0)[1]"),
            "library sigmoid only for large |x|": _fn(
                _SIG, "z = torch.exp(-torch.abs(x))", "mine = torch.where(x >= 0, 1 / (1 + z), z / (1 + z))",
                "return torch.where(x.abs() > 30, torch.sigmoid(x), mine)"),
        },
        "right": {
            "0.5 * (1 + tanh(x / 2))": _fn(_SIG, "return 0.5 * (1 + torch.tanh(x / 2))"),
            "-|x| as torch.where(x >= 0, -x, x)": _fn(
                _SIG, "e = torch.exp(torch.where(x >= 0, -x, x))",
                "return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))"),
            "exp(-logaddexp(0, -x))": _fn(_SIG, "return torch.exp(-torch.logaddexp(torch.zeros_like(x), -x))"),
            "boolean masks into a new tensor": _fn(
                _SIG, "out = torch.empty_like(x)", "pos = x >= 0", "e = torch.exp(x[~pos])",
                "out[pos] = 1 / (1 + torch.exp(-x[pos]))", "out[~pos] = e / (1 + e)", "return out"),
            "naive formula on x clamped to [-500, 500] (a new tensor)": _fn(
                _SIG, "return 1 / (1 + torch.exp(-torch.clamp(x, -500, 500)))"),
        },
    },
    "relu": {
        "wrong": {
            "modifies x in place": _fn(_RELU, "x[x < 0] = 0", "return x"),
            "leaky relu": _fn(_RELU, "return torch.where(x > 0, x, 0.01 * x)"),
            "abs instead of max": _fn(_RELU, "return torch.abs(x)"),
            "clamp from above": _fn(_RELU, "return torch.clamp(x, max=0)"),
            "torch.relu": _fn(_RELU, "return torch.relu(x)"),
            "F.relu": _fn(_RELU, "return F.relu(x)"),
            "nn.ReLU module": _fn(_RELU, "return torch.nn.ReLU()(x)"),
        },
        "right": {
            "x * (x > 0)": _fn(_RELU, "return x * (x > 0)"),
            "torch.maximum with zeros": _fn(_RELU, "return torch.maximum(x, torch.zeros_like(x))"),
            "torch.where(x > 0, x, 0)": _fn(_RELU, "return torch.where(x > 0, x, torch.zeros_like(x))"),
        },
    },
    "bce_loss": {
        "wrong": {
            "naive formula: nan for perfect predictions": _fn(
                _BCE, "return -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()"),
            "sum instead of mean": _fn(
                _BCE, "p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)",
                "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum()"),
            "clamp with 1e-12 (1 - 1e-12 == 1 in float32)": _fn(
                _BCE, "p = torch.clamp(y_hat, 1e-12, 1 - 1e-12)",
                "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"),
            "missing minus sign": _fn(
                _BCE, "p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)",
                "return (y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"),
            "clamped at 1e-3: a perfect prediction costs 1e-3": _fn(
                _BCE, "p = torch.clamp(y_hat, 1e-3, 1 - 1e-3)",
                "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"),
            "returns a Python float": _fn(
                _BCE, "p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)",
                "return float(-(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean())"),
            "clamps y_hat in place": _fn(
                _BCE, "p = y_hat.clamp_(1e-7, 1 - 1e-7)",
                "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"),
            "arguments swapped": _fn(
                _BCE, "y, y_hat = y_hat, torch.clamp(y, 1e-7, 1 - 1e-7)",
                "return -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()"),
            "F.binary_cross_entropy": _fn(_BCE, "return F.binary_cross_entropy(y_hat, y)"),
            "nn.BCELoss module": _fn(_BCE, "return torch.nn.BCELoss()(y_hat, y)"),
            "BCE with logits of the logit": _fn(
                _BCE, "return F.binary_cross_entropy_with_logits(torch.logit(y_hat, eps=1e-7), y)"),
        },
        "right": {
            "torch.xlogy": _fn(_BCE, "return -(torch.xlogy(y, y_hat) + torch.xlogy(1 - y, 1 - y_hat)).mean()"),
            "logs clamped at -100 like PyTorch": _fn(
                _BCE, "log_p = torch.clamp(torch.log(y_hat), min=-100)",
                "log_q = torch.clamp(torch.log(1 - y_hat), min=-100)",
                "return -(y * log_p + (1 - y) * log_q).sum() / y.numel()"),
            "torch.where on the label": _fn(
                _BCE, "p = torch.where(y > 0.5, y_hat, 1 - y_hat).clamp(min=1e-6)",
                "return -torch.log(p).mean()"),
            "clamped at 1e-4 (the largest eps the prose allows)": _fn(
                _BCE, "p = torch.clamp(y_hat, 1e-4, 1 - 1e-4)",
                "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"),
            "log(y_hat + 1e-7): eps added inside the logs": _fn(
                _BCE, "return -(y * torch.log(y_hat + 1e-7) + (1 - y) * torch.log(1 - y_hat + 1e-7)).mean()"),
        },
    },
    "sigmoid_backward": {
        "wrong": {
            "derivative taken at the output (x * (1 - x))": _fn(_SB, "return grad_out * x * (1 - x)"),
            "forgot grad_out": _fn(_SB, "s = sigmoid(x)", "return s * (1 - s)"),
            "tanh derivative 1 - s^2": _fn(_SB, "s = sigmoid(x)", "return grad_out * (1 - s ** 2)"),
            "naive exp(-x) / (1 + exp(-x))^2": _fn(_SB, "e = torch.exp(-x)", "return grad_out * e / (1 + e) ** 2"),
            "autograd: torch.autograd.grad through the sigmoid": _fn(
                _SB, "xr = x.detach().clone().requires_grad_(True)",
                "return torch.autograd.grad(sigmoid(xr), xr, grad_out)[0]"),
            "autograd: backward() on a copy": _fn(
                _SB, "xr = x.detach().clone().requires_grad_(True)", "sigmoid(xr).backward(grad_out)",
                "return xr.grad"),
            "torch.func.vjp": _fn(_SB, "return torch.func.vjp(torch.sigmoid, x)[1](grad_out)[0]"),
        },
        "right": {
            "own sigmoid, s * (1 - s)": _fn(_SB, "s = sigmoid(x)", "return grad_out * s * (1 - s)"),
            "s - s^2 with torch.sigmoid": _fn(_SB, "s = torch.sigmoid(x)", "return grad_out * (s - s * s)"),
            "stable exp(-|x|) / (1 + exp(-|x|))^2": _fn(
                _SB, "e = torch.exp(-torch.abs(x))", "return grad_out * e / (1 + e) ** 2"),
        },
    },
    "bce_loss_backward": {
        "wrong": {
            "gradient of the sum (no 1/N)": _fn(_BB, "return (y_hat - y) / (y_hat * (1 - y_hat))"),
            "gradient w.r.t. the logit (y_hat - y) / N": _fn(_BB, "return (y_hat - y) / y_hat.numel()"),
            "sign flipped": _fn(_BB, "return (y - y_hat) / (y_hat * (1 - y_hat)) / y_hat.numel()"),
            "forgot the (1 - y) term": _fn(_BB, "return -y / y_hat / y_hat.numel()"),
            "autograd of F.binary_cross_entropy": _fn(
                _BB, "p = y_hat.detach().clone().requires_grad_(True)",
                "F.binary_cross_entropy(p, y).backward()", "return p.grad"),
            "torch.autograd.functional.vjp of the mean BCE": _fn(
                _BB, "f = lambda p: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()",
                "return torch.autograd.functional.vjp(f, y_hat)[1]"),
        },
        "right": {
            "two fractions": _fn(_BB, "n = len(y)", "return (-y / y_hat + (1 - y) / (1 - y_hat)) / n"),
        },
    },
    "linear_forward": {
        "wrong": {
            "w transposed": _fn(_LF, "return x @ w.T + b"),
            "forgot the bias": _fn(_LF, "return x @ w"),
            "bias summed in once": _fn(_LF, "return x @ w + b.sum()"),
        },
        "right": {
            "einsum": _fn(_LF, "return torch.einsum('nd,de->ne', x, w) + b"),
            "F.linear": _fn(_LF, "return F.linear(x, w.T, b)"),
        },
    },
    "linear_backward": {
        "wrong": {
            "bias gradient averaged": _fn(_LB, "return grad_out @ w.T, x.T @ grad_out, grad_out.mean(0)"),
            "grad_w transposed": _fn(_LB, "return grad_out @ w.T, (x.T @ grad_out).T, grad_out.sum(0)"),
            "grad_x without transposing w": _fn(_LB, "return grad_out @ w, x.T @ grad_out, grad_out.sum(0)"),
            "bias gradient summed over the wrong axis": _fn(
                _LB, "return grad_out @ w.T, x.T @ grad_out, grad_out.sum(1)"),
            "autograd: torch.autograd.grad": _fn(
                _LB, "xr, wr = x.clone().requires_grad_(True), w.clone().requires_grad_(True)",
                "b = torch.zeros(w.shape[1], dtype=w.dtype, requires_grad=True)",
                "return torch.autograd.grad(((xr @ wr + b) * grad_out).sum(), (xr, wr, b))"),
            "autograd: backward() on sum(Z * grad_out)": _fn(
                _LB, "xr, wr = x.clone().requires_grad_(True), w.clone().requires_grad_(True)",
                "b = torch.zeros(w.shape[1], dtype=w.dtype, requires_grad=True)",
                "((xr @ wr + b) * grad_out).sum().backward()", "return xr.grad, wr.grad, b.grad"),
        },
        "right": {
            "einsum": _fn(_LB, "gx = torch.einsum('ne,de->nd', grad_out, w)",
                          "gw = torch.einsum('nd,ne->de', x, grad_out)",
                          "return gx, gw, torch.einsum('ne->e', grad_out)"),
            "returned as a list": _fn(_LB, "return [grad_out.matmul(w.t()), x.t().matmul(grad_out), grad_out.sum(0)]"),
        },
    },
    "model1": {
        "wrong": {
            "bias added after the sigmoid": _fn(_M1, "return sigmoid(x @ w) + b"),
            "no sigmoid": _fn(_M1, "return x @ w + b"),
            "relu instead of sigmoid": _fn(_M1, "return relu(x @ w + b)"),
            "squeezed output": _fn(_M1, "return sigmoid(x @ w + b).squeeze()"),
        },
        "right": {
            "torch.sigmoid of F.linear": _fn(_M1, "return torch.sigmoid(F.linear(x, w.T, b))"),
            "own linear_forward and sigmoid, nested": _fn(_M1, "z = linear_forward(x, w, b)", "return sigmoid(z)"),
        },
    },
    "network": {
        "wrong": {
            "squeeze() also drops N = 1": _fn(
                _NET, "for w, b, f in params:", "    x = f(x @ w + b)", "return x.squeeze()"),
            "never squeezes": _fn(_NET, "for w, b, f in params:", "    x = f(x @ w + b)", "return x"),
            "no activation on the last layer": _fn(
                _NET, "for i, (w, b, f) in enumerate(params):", "    x = x @ w + b",
                "    if i < len(params) - 1:", "        x = f(x)", "return x.squeeze(-1) if x.shape[-1] == 1 else x"),
            "activation only at the end": _fn(
                _NET, "for w, b, f in params:", "    x = x @ w + b", "x = params[-1][2](x)",
                "return x.squeeze(-1) if x.shape[-1] == 1 else x"),
            "squeezes unconditionally with squeeze(1)": _fn(
                _NET, "for w, b, f in params:", "    x = f(x @ w + b)", "return x[:, 0]"),
        },
        "right": {
            "functools.reduce and reshape": _fn(
                _NET, "from functools import reduce",
                "out = reduce(lambda h, layer: layer[2](linear_forward(h, layer[0], layer[1])), params, x)",
                "return out.reshape(out.shape[:-1]) if out.shape[-1] == 1 else out"),
        },
    },
    "make_layer": {
        "wrong": {
            "He scale from the fan-out": _fn(
                _ML, "w = (torch.randn(d0, d1, dtype=torch.float64) * math.sqrt(2 / d1)).requires_grad_()",
                "return w, torch.zeros(d1, dtype=torch.float64, requires_grad=True), activation"),
            "variance 2/d0 used as the std": _fn(
                _ML, "w = (torch.randn(d0, d1, dtype=torch.float64) * (2 / d0)).requires_grad_()",
                "return w, torch.zeros(d1, dtype=torch.float64, requires_grad=True), activation"),
            "kaiming_normal_ on a d0 x d1 tensor (PyTorch reads fan-in from dim 1)": _fn(
                _ML, "w = torch.empty(d0, d1, dtype=torch.float64)",
                "torch.nn.init.kaiming_normal_(w, nonlinearity='relu')",
                "return w.requires_grad_(), torch.zeros(d1, dtype=torch.float64, requires_grad=True), activation"),
            "Xavier scale 1/d0": _fn(
                _ML, "w = (torch.randn(d0, d1, dtype=torch.float64) / math.sqrt(d0)).requires_grad_()",
                "return w, torch.zeros(d1, dtype=torch.float64, requires_grad=True), activation"),
            "uniform with the right std": _fn(
                _ML, "a = math.sqrt(3 * 2 / d0)",
                "w = ((torch.rand(d0, d1, dtype=torch.float64) * 2 - 1) * a).requires_grad_()",
                "return w, torch.zeros(d1, dtype=torch.float64, requires_grad=True), activation"),
            "weights not a leaf (requires_grad before scaling)": _fn(
                _ML, "w = torch.randn(d0, d1, dtype=torch.float64, requires_grad=True) * math.sqrt(2 / d0)",
                "return w, torch.zeros(d1, dtype=torch.float64, requires_grad=True), activation"),
            "float32 weights": _fn(
                _ML, "w = (torch.randn(d0, d1) * math.sqrt(2 / d0)).requires_grad_()",
                "return w, torch.zeros(d1, requires_grad=True), activation"),
        },
        "right": {
            "kaiming_normal_ with mode='fan_out' on d0 x d1": _fn(
                _ML, "w = torch.empty(d0, d1, dtype=torch.float64)",
                "torch.nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')",
                "b = torch.zeros(d1, dtype=torch.float64)",
                "return w.requires_grad_(True), b.requires_grad_(True), activation"),
            "torch.normal": _fn(
                _ML, "w = torch.normal(0.0, (2 / d0) ** 0.5, size=(d0, d1), dtype=torch.float64)",
                "w.requires_grad = True",
                "b = torch.zeros(d1, dtype=torch.float64)", "b.requires_grad = True", "return (w, b, activation)"),
        },
    },
    "evaluate": {
        "wrong": {
            "threshold at 0 instead of 0.5": _fn(
                _EV, "with torch.no_grad():", "    p = network(x, params)",
                "    return float(bce_loss(y, p)), float(((p > 0).double() == y).double().mean())"),
            "returns the error rate": _fn(
                _EV, "with torch.no_grad():", "    p = network(x, params)",
                "    return float(bce_loss(y, p)), float(((p >= 0.5).double() != y).double().mean())"),
            "loss summed over the samples": _fn(
                _EV, "with torch.no_grad():", "    p = network(x, params)",
                "    return float(bce_loss(y, p)) * len(y), float(((p >= 0.5).double() == y).double().mean())"),
            "calls backward while evaluating": _fn(
                _EV, "p = network(x, params)", "loss = bce_loss(y, p)", "loss.backward()",
                "return loss.item(), float(((p.detach() >= 0.5).double() == y).double().mean())"),
            "returns a loss that tracks gradients": _fn(
                _EV, "p = network(x, params)",
                "return bce_loss(y, p), float(((p.detach() >= 0.5).double() == y).double().mean())"),
        },
        "right": {
            "round() and .item()": _fn(
                _EV, "with torch.no_grad():", "    p = network(x, params)", "    loss = bce_loss(y, p).item()",
                "    acc = (torch.round(p) == y).float().mean().item()", "return loss, acc"),
            # a bce_loss clamped at 1e-5 or 5e-5 passes the bce_loss tests: evaluate built on one keeps full marks
            "own BCE clamped at 1e-5": _fn(
                _EV, "with torch.no_grad():", "    p = network(x, params)",
                "    q = p.clamp(1e-5, 1 - 1e-5)",
                "    loss = -(y * torch.log(q) + (1 - y) * torch.log(1 - q)).mean()",
                "    acc = ((p > 0.5).double() == y).double().mean()", "return float(loss), float(acc)"),
            "own BCE with log(p + 1e-7)": _fn(
                _EV, "with torch.no_grad():", "    p = network(x, params)",
                "    loss = -(y * torch.log(p + 1e-7) + (1 - y) * torch.log(1 - p + 1e-7)).mean()",
                "return loss.item(), ((p > 0.5).double() == y).double().mean().item()"),
            "BCE with logs clamped at log(5e-5)": _fn(
                _EV, "with torch.no_grad():", "    p = network(x, params)",
                "    lo = math.log(5e-5)",
                "    loss = -(y * torch.log(p).clamp(min=lo) + (1 - y) * torch.log(1 - p).clamp(min=lo)).mean()",
                "return loss.item(), ((p > 0.5) == (y > 0.5)).double().mean().item()"),
        },
    },
    "train_epoch": {
        "wrong": {
            "gradients never reset": _train(update=("            w -= learning_rate * w.grad",
                                                    "            b -= learning_rate * b.grad")),
            "no shuffling": _train(order="order = torch.arange(x.shape[0])"),
            "w = w - lr * grad rebinds (params unchanged)": _train(update=(
                "            w = w - learning_rate * w.grad", "            b = b - learning_rate * b.grad",
                "            w.grad = None", "            b.grad = None")),
            "biases never updated": _train(update=("            w -= learning_rate * w.grad",
                                                   "            w.grad = None", "            b.grad = None")),
            "returns the last minibatch's loss": _train(ret="losses[-1], accs[-1]"),
            "step along the gradient": _train(update=(
                "            w += learning_rate * w.grad", "            b += learning_rate * b.grad",
                "            w.grad = None", "            b.grad = None")),
            "x and y shuffled with two different permutations": _fn(
                _TE, "n = x.shape[0]", "x, y = x[torch.randperm(n)], y[torch.randperm(n)]",
                "losses, accs = [], []",
                "for start in range(0, n, batch_size):",
                "    xb, yb = x[start:start + batch_size], y[start:start + batch_size]",
                "    y_hat = network(xb, params)",
                "    loss = bce_loss(yb, y_hat)",
                "    loss.backward()",
                "    with torch.no_grad():",
                "        for w, b, _ in params:",
                "            w -= learning_rate * w.grad",
                "            b -= learning_rate * b.grad",
                "            w.grad = None",
                "            b.grad = None",
                "    losses.append(loss.item())",
                "    accs.append(((y_hat.detach() > 0.5).double() == yb).double().mean().item())",
                "return float(np.mean(losses)), float(np.mean(accs))"),
            "learning rate divided by the batch size": _train(update=(
                "            w -= learning_rate / batch_size * w.grad", "            b -= learning_rate / batch_size * b.grad",
                "            w.grad = None", "            b.grad = None")),
            # the seed's bug: N // batch_size minibatches, so the last, smaller one is never trained on
            "num_batches = n // batch_size (last smaller minibatch dropped)": _fn(
                _TE, "n = x.shape[0]", "num_batches = n // batch_size", "order = torch.randperm(n)",
                "losses, accs = [], []",
                "for i in range(num_batches):",
                "    idx = order[i * batch_size:(i + 1) * batch_size]",
                "    y_hat = network(x[idx], params)",
                "    loss = bce_loss(y[idx], y_hat)",
                "    loss.backward()",
                "    with torch.no_grad():",
                "        for w, b, _ in params:",
                "            w -= learning_rate * w.grad",
                "            b -= learning_rate * b.grad",
                "            w.grad = None",
                "            b.grad = None",
                "    losses.append(loss.item())",
                "    accs.append(((y_hat.detach() > 0.5).double() == y[idx]).double().mean().item())",
                "return float(np.mean(losses)), float(np.mean(accs))"),
        },
        "right": {
            "zero_() and a list of index chunks": _fn(
                _TE, "stats = []",
                "for idx in torch.randperm(len(x)).split(batch_size):",
                "    out = network(x[idx], params)",
                "    loss = bce_loss(y[idx], out)",
                "    for w, b, _ in params:",
                "        if w.grad is not None:",
                "            w.grad.zero_()",
                "            b.grad.zero_()",
                "    loss.backward()",
                "    with torch.no_grad():",
                "        for w, b, _ in params:",
                "            w.sub_(learning_rate * w.grad)",
                "            b.sub_(learning_rate * b.grad)",
                "    stats.append((loss.item(), ((out > 0.5) == (y[idx] > 0.5)).double().mean().item()))",
                "loss, acc = np.mean(stats, axis=0)",
                "return float(loss), float(acc)"),
            "NumPy permutation, torch.autograd.grad": _fn(
                _TE, "perm = np.random.permutation(len(x))", "losses, accs = [], []",
                "flat = [t for w, b, _ in params for t in (w, b)]",
                "for i in range(0, len(x), batch_size):",
                "    idx = torch.from_numpy(perm[i:i + batch_size])",
                "    y_hat = network(x[idx], params)",
                "    loss = bce_loss(y[idx], y_hat)",
                "    grads = torch.autograd.grad(loss, flat)",
                "    with torch.no_grad():",
                "        for t, g in zip(flat, grads):",
                "            t -= learning_rate * g",
                "    losses.append(float(loss))",
                "    accs.append(float(((y_hat >= 0.5).double() == y[idx]).double().mean()))",
                "return sum(losses) / len(losses), sum(accs) / len(accs)"),
            "minibatch loss and accuracy from evaluate, sample-weighted mean": _fn(
                _TE, "order = torch.randperm(len(x))", "total_loss = total_acc = 0.0",
                "for start in range(0, len(x), batch_size):",
                "    idx = order[start:start + batch_size]",
                "    batch_loss, batch_acc = evaluate(params, x[idx], y[idx])",
                "    bce_loss(y[idx], network(x[idx], params)).backward()",
                "    with torch.no_grad():",
                "        for w, b, _ in params:",
                "            w.data -= learning_rate * w.grad",
                "            b.data -= learning_rate * b.grad",
                "            w.grad.zero_()",
                "            b.grad.zero_()",
                "    total_loss += batch_loss * len(idx)",
                "    total_acc += batch_acc * len(idx)",
                "return total_loss / len(x), total_acc / len(x)"),
        },
    },
    "hyperparameters": {
        "wrong": {
            "learning rate far too small": "learning_rate = 0.001\nbatch_size = 32\nepochs = 20\n",
            "learning rate far too large": "learning_rate = 5.0\nbatch_size = 32\nepochs = 20\n",
            "one epoch of full-batch descent": "learning_rate = 0.1\nbatch_size = 898\nepochs = 1\n",
            # (batch 16 rather than 1: as over the limit, and the notebook's runs with it stay quick)
            "too many updates (batch size 16, 60 epochs: 3420)": "learning_rate = 0.1\nbatch_size = 16\nepochs = 60\n",
        },
        "right": {
            "larger rate, larger batches": "learning_rate = 0.3\nbatch_size = 64\nepochs = 15\n",
        },
    },
    "xnor_params": {
        "wrong": {
            "XOR instead of XNOR": _fn(_XN, "return np.ones((2, 2)), np.array([0.0, -1.0]), np.array([1.0, -2.0]), 0.0"),
            "weights for W @ x (columns and rows mixed up)": _fn(
                _XN, "W = np.array([[1.0, 0.0], [1.0, 1.0]])", "c = np.array([0.0, -1.0])",
                "return W, c, np.array([-1.0, 2.0]), 1.0"),
            "a linear attempt (hidden layer never active below zero)": _fn(
                _XN, "return np.eye(2), np.zeros(2), np.array([-1.0, -1.0]), 1.0"),
            "w as a 2x1 column": _fn(
                _XN, "return np.ones((2, 2)), np.array([0.0, -1.0]), np.array([[-1.0], [2.0]]), 1.0"),
        },
        "right": {
            "other weights, torch tensors": _fn(
                _XN, "W = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])", "c = torch.zeros(2)",
                "return W, c, torch.tensor([-1.0, -1.0]), torch.tensor(1.0)"),
        },
    },
    "tent_params": {
        "wrong": {
            "a tent of height 1 (slopes +-1)": _fn(
                _TP, "return np.ones(3), np.array([0.0, -0.5, -1.0]), np.array([1.0, -2.0, 1.0]), 0.0"),
            "no third unit: falls below 0 after x = 1": _fn(
                _TP, "return np.ones(3), np.array([0.0, -0.5, -1.0]), np.array([2.0, -4.0, 0.0]), 0.0"),
            "kinks at -1/2 and -1 (signs of c flipped)": _fn(
                _TP, "return np.ones(3), np.array([0.0, 0.5, 1.0]), np.array([2.0, -4.0, 2.0]), 0.0"),
            "slope changes by 2 instead of 4 at 1/2": _fn(
                _TP, "return np.ones(3), np.array([0.0, -0.5, -1.0]), np.array([2.0, -2.0, 2.0]), 0.0"),
            "w2 as a 3x1 column": _fn(
                _TP, "return np.ones(3), np.array([0.0, -0.5, -1.0]), np.array([[2.0], [-4.0], [2.0]]), 0.0"),
        },
        "right": {
            "scaled hidden units (w1 = 4)": _fn(
                _TP, "return np.full(3, 4.0), np.array([0.0, -2.0, -4.0]), np.array([0.5, -1.0, 0.5]), np.float64(0.0)"),
            "torch tensors, b a 0-d tensor": _fn(
                _TP, "return (torch.ones(3), torch.tensor([0.0, -0.5, -1.0]), torch.tensor([2.0, -4.0, 2.0]),",
                "        torch.tensor(0.0))"),
        },
    },
    "sawtooth": {
        "wrong": {
            "applies the tent k - 1 times": _fn(
                _ST, "w1, c, w2, b = tent_params()", "h = np.asarray(x, dtype=float)",
                "for _ in range(1, k):", "    h = np.maximum(h[:, None] * w1 + c, 0) @ w2 + b", "return h"),
            "scales the input instead of composing: t(2**(k-1) x)": _fn(
                _ST, "w1, c, w2, b = tent_params()", "h = 2.0 ** (k - 1) * np.asarray(x, dtype=float)",
                "return np.maximum(h[:, None] * w1 + c, 0) @ w2 + b"),
            "adds tents of doubling frequency instead of composing": _fn(
                _ST, "w1, c, w2, b = tent_params()", "x = np.asarray(x, dtype=float)",
                "return sum(np.maximum((2 ** i * x)[:, None] * w1 + c, 0) @ w2 + b for i in range(k))"),
            "forgets the bias b": _fn(
                _ST, "w1, c, w2, b = tent_params()", "h = np.asarray(x, dtype=float)",
                "for _ in range(k):", "    h = np.maximum(h[:, None] * w1 + c, 0) @ w2", "return h"),
            "copies the tent's numbers instead of calling tent_params()": _fn(
                _ST, "w1, c, w2, b = np.ones(3), np.array([0.0, -0.5, -1.0]), np.array([2.0, -4.0, 2.0]), 0.0",
                "h = np.asarray(x, dtype=float)",
                "for _ in range(k):", "    h = np.maximum(h[:, None] * w1 + c, 0) @ w2 + b", "return h"),
            "closed form, not a network of tent_params()": _fn(
                _ST, "x = np.asarray(x, dtype=float)", "y = 2.0 ** (k - 1) * x",
                "return np.where((x >= 0) & (x <= 1), 2 * np.abs(y - np.round(y)), 0.0)"),
        },
        "right": {
            "recursion": _fn(
                _ST, "w1, c, w2, b = tent_params()", "t = np.maximum(np.asarray(x, dtype=float)[:, None] * w1 + c, 0) @ w2 + b",
                "return t if k == 1 else sawtooth(t, k - 1)"),
            "functools.reduce over torch tensors": _fn(
                _ST, "from functools import reduce", "w1, c, w2, b = (torch.as_tensor(v, dtype=torch.float64) for v in tent_params())",
                "layer = lambda h, _: torch.clamp(h[:, None] * w1 + c, min=0) @ w2 + b",
                "return reduce(layer, range(k), torch.as_tensor(x, dtype=torch.float64)).numpy()"),
        },
    },
}
