"""Wrong and right answers for source/ps5/mnist_numpy.ipynb (see dlcourse/authoring/mistakes/__init__.py)."""
# size: a catalogue of answers (data, one entry per answer), not logic

NOTEBOOK = "source/ps5/mnist_numpy.ipynb"

# ---------------------------------------------------------------- activations
def _fn(name, body):
    """A one-function answer cell: def name(z): body (lines separated by newlines)."""
    return f"\ndef {name}(z):\n" + "".join(f"    {line}\n" for line in body.split("\n"))


# ---------------------------------------------------------------- forward / backward
_PROVIDED_LOOKUP = '''
def activation_functions(name):
    return {"sigmoid": (sigmoid, d_sigmoid), "tanh": (tanh, d_tanh), "relu": (relu, d_relu)}[name]
'''

_FORWARD_OK = _PROVIDED_LOOKUP + '''
def forward_prop(X, params, activation):
    g = activation_functions(activation)[0]
    L = len(params) // 2
    A, layers = X, []
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        layers.append((A, Z))
        A = g(Z) if l < L else softmax(Z)
    return A, {"layers": layers, "probs": A}
'''

_BACKWARD_TEMPLATE = '''
def backward_prop(Y, cache, params, activation, lambd=0.0):
    dg = activation_functions(activation)[1]
    layers = cache["layers"]
    L = len(layers)
    N = Y.shape[0]
    dZ = DZ_LAST
    grads = {}
    for l in range(L, 0, -1):
        A_prev = layers[l - 1][0]
        W = params[f"W{l}"]
        grads[f"dW{l}"] = A_prev.T @ dZ + L2_TERM
        grads[f"db{l}"] = DB
        if l > 1:
            dZ = (dZ @ W.T) * DERIV
    return grads
'''


def _backward(dz_last="(cache['probs'] - Y) / N", l2="(lambd / N) * W", db="dZ.sum(axis=0)",
              deriv="dg(layers[l - 2][1])"):
    return (_BACKWARD_TEMPLATE.replace("DZ_LAST", dz_last).replace("L2_TERM", l2)
            .replace("DB", db).replace("DERIV", deriv))


# ---------------------------------------------------------------- train
_TRAIN_TEMPLATE = '''
def train(X, Y, layer_dims, epochs, batch_size, learning_rate, activation, lambd=0.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    params = initialize_parameters(layer_dims, rng)
    n = len(X)
    history = {"batch_loss": [], "epoch_loss": []}
    for _ in progress(range(epochs)):
        order = rng.permutation(n)
        total = 0.0
        count = 0
        for start in range(0, STOP, batch_size):
            Xb, Yb = BATCH
            probs, cache = forward_prop(Xb, params, activation)
            loss = cross_entropy_regularized(probs, Yb, params, lambd)
            history["batch_loss"].append(loss)
            total += loss * len(Xb)
            count += len(Xb)
            grads = backward_prop(Yb, cache, params, activation, LAMBD)
            params = update_parameters(params, grads, learning_rate)
        history["epoch_loss"].append(total / max(count, 1))
    return params, history
'''


def _train(stop="n", batch="X[order[start:start + batch_size]], Y[order[start:start + batch_size]]",
           lambd="lambd"):
    return _TRAIN_TEMPLATE.replace("STOP", stop).replace("BATCH", batch).replace("LAMBD", lambd)


MUTANTS = {
    "preprocess": {
        "wrong": {
            "pixels left in 0..255": '''
def preprocess(images, labels):
    X = images.reshape(len(images), 784).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[labels]
    return X, Y
''',
            "one-hot with labels.max() + 1 columns": '''
def preprocess(images, labels):
    X = images.reshape(len(images), 784).astype(np.float32) / 255
    Y = np.eye(labels.max() + 1, dtype=np.float32)[labels]
    return X, Y
''',
            "flattened column-wise (reshape(784, N).T)": '''
def preprocess(images, labels):
    X = images.reshape(784, len(images)).T.astype(np.float32) / 255
    Y = np.eye(10, dtype=np.float32)[labels]
    return X, Y
''',
            "left as float64": '''
def preprocess(images, labels):
    X = images.reshape(len(images), 784) / 255.0
    Y = np.eye(10)[labels]
    return X, Y
''',
        },
        "right": {
            "np.eye one-hot, divide then cast": '''
def preprocess(images, labels):
    X = (images.reshape(images.shape[0], -1) / 255.0).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[labels.astype(int)]
    return X, Y
''',
        },
    },
    "sigmoid": {
        "wrong": {
            "naive 1 / (1 + exp(-z)) overflows for z << 0": _fn("sigmoid", "return 1 / (1 + np.exp(-z))"),
            "exp(z) / (1 + exp(z)) overflows for z >> 0 (inf / inf)": _fn(
                "sigmoid", "return np.exp(z) / (1 + np.exp(z))"),
            "clipped to +-500: fine in float64, overflows in float32": _fn(
                "sigmoid", "z = np.clip(z, -500, 500)\nreturn 1 / (1 + np.exp(-z))"),
            "clipped to +-10: sigmoid(1000) is not 1": _fn(
                "sigmoid", "return 1 / (1 + np.exp(-np.clip(z, -10, 10)))"),
            "tanh form without the halving (0.5 * (1 + tanh(z)))": _fn("sigmoid", "return 0.5 * (1 + np.tanh(z))"),
            "scipy.special.expit (not by hand)": "\nfrom scipy.special import expit\n" + _fn("sigmoid", "return expit(z)"),
            "torch.sigmoid on a tensor (not by hand)": _fn(
                "sigmoid", "return torch.sigmoid(torch.as_tensor(z)).numpy()"),
        },
        "right": {
            'naive formula with overflow silenced (np.errstate): 1 / (1 + inf) is 0': _fn("sigmoid", "with np.errstate(over='ignore'):\n    return 1 / (1 + np.exp(-z))"),
            "via tanh: (1 + tanh(z / 2)) / 2": _fn("sigmoid", "return 0.5 * (1 + np.tanh(0.5 * z))"),
            "np.where on clipped exponents": _fn(
                "sigmoid", "return np.where(z >= 0, 1 / (1 + np.exp(-np.clip(z, 0, None))), "
                           "np.exp(np.clip(z, None, 0)) / (1 + np.exp(np.clip(z, None, 0))))"),
        },
    },
    "tanh": {
        "wrong": {
            "(e^z - e^-z) / (e^z + e^-z) overflows": _fn(
                "tanh", "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))"),
            "2 * naive sigmoid(2z) - 1 overflows for z << 0": _fn("tanh", "return 2 / (1 + np.exp(-2 * z)) - 1"),
            "returns the sigmoid": _fn("tanh", "return sigmoid(z)"),
            "(e^2z - 1) / (e^2z + 1) overflows for z >> 0": _fn(
                "tanh", "e = np.exp(2 * z)\nreturn (e - 1) / (e + 1)"),
            "torch.tanh on a tensor (not by hand)": _fn("tanh", "return torch.tanh(torch.from_numpy(np.asarray(z))).numpy()"),
        },
        "right": {
            "2 * sigmoid(2z) - 1 with the stable sigmoid": _fn("tanh", "return 2 * sigmoid(2 * z) - 1"),
            "sign(z) * (1 - e^-2|z|) / (1 + e^-2|z|)": _fn(
                "tanh", "e = np.exp(-2 * np.abs(z))\nreturn np.sign(z) * (1 - e) / (1 + e)"),
        },
    },
    "relu": {
        "wrong": {
            "np.max (a reduction) instead of np.maximum": _fn("relu", "return np.max(z, 0)"),
            "absolute value": _fn("relu", "return np.abs(z)"),
            "np.maximum(z, 0, out=z) overwrites the input": _fn("relu", "return np.maximum(z, 0, out=z)"),
            "z[z < 0] = 0 on the input itself": _fn("relu", "z[z < 0] = 0\nreturn z"),
            "Python max on an array": _fn("relu", "return max(z, 0)"),
            "torch.relu on a tensor (not by hand)": _fn("relu", "return torch.relu(torch.as_tensor(z)).numpy()"),
        },
        "right": {
            "z * (z > 0)": _fn("relu", "return z * (z > 0)"),
            "np.where(z > 0, z, 0.0)": _fn("relu", "return np.where(z > 0, z, 0.0)"),
            "copy, then zero the negatives": _fn("relu", "out = z.copy()\nout[out < 0] = 0\nreturn out"),
        },
    },
    "d_sigmoid": {
        "wrong": {
            "evaluated at the activation output (a * (1 - a) with a = z)": _fn("d_sigmoid", "return z * (1 - z)"),
            "exp(-z) / (1 + exp(-z))**2 overflows": _fn("d_sigmoid", "return np.exp(-z) / (1 + np.exp(-z)) ** 2"),
            "tanh's formula 1 - sigmoid(z)**2": _fn("d_sigmoid", "return 1 - sigmoid(z) ** 2"),
            "with a naive sigmoid inside": _fn("d_sigmoid", "s = 1 / (1 + np.exp(-z))\nreturn s * (1 - s)"),
            "scipy.special.expit inside (not by hand)": "\nimport scipy.special\n" + _fn(
                "d_sigmoid", "s = scipy.special.expit(z)\nreturn s * (1 - s)"),
        },
        "right": {
            "sigmoid(z) * sigmoid(-z)": _fn("d_sigmoid", "return sigmoid(z) * sigmoid(-z)"),
            "e^-|z| / (1 + e^-|z|)**2 (symmetric)": _fn(
                "d_sigmoid", "e = np.exp(-np.abs(z))\nreturn e / (1 + e) ** 2"),
        },
    },
    "d_tanh": {
        "wrong": {
            "evaluated at the activation output (1 - z**2)": _fn("d_tanh", "return 1 - z ** 2"),
            "1 - tanh(z) (square forgotten)": _fn("d_tanh", "return 1 - np.tanh(z)"),
            "1 / cosh(z)**2 overflows": _fn("d_tanh", "return 1 / np.cosh(z) ** 2"),
            "1 + tanh(z)**2 (sign)": _fn("d_tanh", "return 1 + np.tanh(z) ** 2"),
            "torch.tanh inside (not by hand)": _fn("d_tanh", "return 1 - torch.tanh(torch.as_tensor(z)).numpy() ** 2"),
        },
        "right": {
            "(1 - tanh) * (1 + tanh), with the student's tanh": _fn(
                "d_tanh", "t = tanh(z)\nreturn (1 - t) * (1 + t)"),
            "4 * d_sigmoid(2z)": _fn("d_tanh", "return 4 * d_sigmoid(2 * z)"),
        },
    },
    "d_relu": {
        "wrong": {
            "returns relu itself": _fn("d_relu", "return np.maximum(z, 0)"),
            "np.sign(z) (-1 for negative z)": _fn("d_relu", "return np.sign(z)"),
            "relu(z) / z (0 / 0 at z = 0)": _fn("d_relu", "return np.maximum(z, 0) / z"),
            "comparison reversed (z < 0)": _fn("d_relu", "return (z < 0).astype(z.dtype)"),
        },
        "right": {
            "heaviside with 1/2 at 0": _fn("d_relu", "return np.heaviside(z, 0.5)"),
            "slope 1 at 0 (z >= 0), float64": _fn("d_relu", "return (z >= 0).astype(float)"),
            "boolean mask": _fn("d_relu", "return z > 0"),
        },
    },
    "softmax": {
        "wrong": {
            "normalised over the batch axis": '''
def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
''',
            "no max subtraction": '''
def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
''',
            "one global maximum subtracted": '''
def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=1, keepdims=True)
''',
            "max without keepdims (broadcasts the wrong way)": '''
def softmax(z):
    e = np.exp((z.T - z.max(axis=1)).T)
    return e / e.sum(axis=1)
''',
            "scipy.special.softmax (not by hand)": '''
from scipy.special import softmax as _scipy_softmax

def softmax(z):
    return _scipy_softmax(z, axis=1)
''',
        },
        "right": {
            "log-sum-exp form": '''
def softmax(z):
    m = z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return np.exp(z - lse)
''',
        },
    },
    "initialize_parameters": {
        "wrong": {
            "normal with the Glorot standard deviation": '''
def initialize_parameters(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / (layer_dims[l - 1] + layer_dims[l]))
        params[f"W{l}"] = rng.normal(0, std, size=(layer_dims[l - 1], layer_dims[l]))
        params[f"b{l}"] = np.zeros(layer_dims[l])
    return params
''',
            "limit sqrt(6 / n_in)": '''
def initialize_parameters(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        limit = np.sqrt(6.0 / layer_dims[l - 1])
        params[f"W{l}"] = rng.uniform(-limit, limit, size=(layer_dims[l - 1], layer_dims[l]))
        params[f"b{l}"] = np.zeros(layer_dims[l])
    return params
''',
            "W of shape (n_out, n_in)": '''
def initialize_parameters(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        limit = np.sqrt(6.0 / (layer_dims[l - 1] + layer_dims[l]))
        params[f"W{l}"] = rng.uniform(-limit, limit, size=(layer_dims[l], layer_dims[l - 1]))
        params[f"b{l}"] = np.zeros(layer_dims[l])
    return params
''',
            "bias of shape (n_out, 1)": '''
def initialize_parameters(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        limit = np.sqrt(6.0 / (layer_dims[l - 1] + layer_dims[l]))
        params[f"W{l}"] = rng.uniform(-limit, limit, size=(layer_dims[l - 1], layer_dims[l]))
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params
''',
            "ignores rng (np.random)": '''
def initialize_parameters(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        limit = np.sqrt(6.0 / (layer_dims[l - 1] + layer_dims[l]))
        params[f"W{l}"] = np.random.uniform(-limit, limit, size=(layer_dims[l - 1], layer_dims[l]))
        params[f"b{l}"] = np.zeros(layer_dims[l])
    return params
''',
        },
        "right": {
            "rng.random scaled, float64": '''
def initialize_parameters(layer_dims, rng):
    params = {}
    for l, (n_in, n_out) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
        a = (6 / (n_in + n_out)) ** 0.5
        params["W" + str(l)] = a * (2 * rng.random((n_in, n_out)) - 1)
        params["b" + str(l)] = np.zeros((n_out,))
    return params
''',
        },
    },
    "forward_prop": {
        "wrong": {
            "hidden activation also applied before the softmax": _FORWARD_OK.replace(
                "A = g(Z) if l < L else softmax(Z)", "A = g(Z) if l < L else softmax(g(Z))"),
            "softmax over the batch axis": _FORWARD_OK.replace(
                "A = g(Z) if l < L else softmax(Z)",
                "A = g(Z) if l < L else np.exp(Z - Z.max(0)) / np.exp(Z - Z.max(0)).sum(0)"),
            "activation argument ignored (always sigmoid)": _FORWARD_OK.replace(
                "g = activation_functions(activation)[0]", "g = sigmoid"),
            "biases left out": _FORWARD_OK.replace(' + params[f"b{l}"]', ""),
            "naive softmax without max subtraction": _FORWARD_OK.replace(
                "A = g(Z) if l < L else softmax(Z)",
                "A = g(Z) if l < L else np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)"),
            "casts to float32 inside (the speed tip misread)": _FORWARD_OK.replace(
                "A, layers = X, []", "A, layers = X.astype(np.float32), []").replace(
                'Z = A @ params[f"W{l}"] + params[f"b{l}"]',
                'Z = A @ params[f"W{l}"].astype(np.float32) + params[f"b{l}"].astype(np.float32)'),
            "cache of (Z, A) pairs instead of (A_prev, Z)": _FORWARD_OK.replace(
                "layers.append((A, Z))\n        A = g(Z) if l < L else softmax(Z)",
                "A = g(Z) if l < L else softmax(Z)\n        layers.append((Z, A))"),
            "torch.softmax at the output (not by hand)": _FORWARD_OK.replace(
                "A = g(Z) if l < L else softmax(Z)",
                "A = g(Z) if l < L else torch.softmax(torch.as_tensor(Z), dim=1).numpy()"),
        },
        "right": {
            "weights cast to the input's dtype": _FORWARD_OK.replace('Z = A @ params[f"W{l}"] + params[f"b{l}"]', 'Z = A @ params[f"W{l}"].astype(A.dtype) + params[f"b{l}"].astype(A.dtype)'),
            "list cache, np.dot, explicit branches": _PROVIDED_LOOKUP + '''
def forward_prop(X, params, activation):
    funcs = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}
    n_layers = len([k for k in params if k.startswith("W")])
    A = X
    caches = []
    for l in range(1, n_layers):
        Z = np.dot(A, params["W%d" % l]) + params["b%d" % l]
        caches.append((A, Z))
        A = funcs[activation](Z)
    Z = np.dot(A, params["W%d" % n_layers]) + params["b%d" % n_layers]
    caches.append((A, Z))
    probs = softmax(Z)
    return probs, {"layers": caches, "probs": probs}
''',
        },
    },
    "cross_entropy": {
        "wrong": {
            "summed over the batch instead of the mean": '''
def cross_entropy(probs, Y):
    return float(-np.sum(Y * np.log(np.clip(probs, 1e-12, 1))))
''',
            "mean over all N * K entries": '''
def cross_entropy(probs, Y):
    return float(-np.mean(Y * np.log(np.clip(probs, 1e-12, 1))))
''',
            "log of zero probabilities (nan, warnings)": '''
def cross_entropy(probs, Y):
    return float(-np.mean(np.sum(Y * np.log(probs), axis=1)))
''',
            "log of every class, not just the true one": '''
def cross_entropy(probs, Y):
    return float(-np.mean(np.sum(np.log(np.clip(probs, 1e-12, 1)), axis=1)))
''',
            "torch nll_loss (not by hand)": '''
def cross_entropy(probs, Y):
    logp = torch.log(torch.as_tensor(probs).clamp_min(1e-12))
    return float(torch.nn.functional.nll_loss(logp, torch.as_tensor(Y.argmax(axis=1))))
''',
        },
        "right": {
            'clip every probability, sum Y * log over the matrix': '''
def cross_entropy(probs, Y):
    return -np.sum(Y * np.log(np.clip(probs, 1e-12, None))) / len(Y)
''',
            "pick the true class by index": '''
def cross_entropy(probs, Y):
    idx = np.argmax(Y, axis=1)
    return -np.log(probs[np.arange(len(idx)), idx] + 1e-9).mean()
''',
        },
    },
    "cross_entropy_regularized": {
        "wrong": {
            "biases penalised too": '''
def cross_entropy_regularized(probs, Y, params, lambd):
    return cross_entropy(probs, Y) + lambd / (2 * len(Y)) * sum(np.sum(v ** 2) for v in params.values())
''',
            "lambd / 2 without the N": '''
def cross_entropy_regularized(probs, Y, params, lambd):
    sq = sum(np.sum(params[k] ** 2) for k in params if k.startswith("W"))
    return cross_entropy(probs, Y) + lambd / 2 * sq
''',
            "lambd / N without the 2": '''
def cross_entropy_regularized(probs, Y, params, lambd):
    sq = sum(np.sum(params[k] ** 2) for k in params if k.startswith("W"))
    return cross_entropy(probs, Y) + lambd / len(Y) * sq
''',
            "penalty computed but not added": '''
def cross_entropy_regularized(probs, Y, params, lambd):
    sq = sum(np.sum(params[k] ** 2) for k in params if k.startswith("W"))
    penalty = lambd / (2 * len(Y)) * sq
    return cross_entropy(probs, Y)
''',
            "torch.linalg.norm for the squares (not by hand)": '''
def cross_entropy_regularized(probs, Y, params, lambd):
    sq = sum(float(torch.linalg.norm(torch.as_tensor(params[k]))) ** 2 for k in params if k.startswith("W"))
    return cross_entropy(probs, Y) + lambd / (2 * len(Y)) * sq
''',
        },
        "right": {
            "Frobenius norms": '''
def cross_entropy_regularized(probs, Y, params, lambd):
    N = Y.shape[0]
    norms = [np.linalg.norm(params[k]) ** 2 for k in sorted(params) if k[0] == "W"]
    return cross_entropy(probs, Y) + (lambd / (2 * N)) * np.sum(norms)
''',
        },
    },
    "backward_prop": {
        "wrong": {
            "derivative at the activation output": _backward(
                deriv="dg(layers[l - 1][0])"),
            "L2 term missing": _backward(l2="0"),
            "L2 term lambd * W without 1/N": _backward(l2="lambd * W"),
            "no 1/N (gradient of the summed loss)": _backward(dz_last="cache['probs'] - Y",
                                                             l2="lambd * W"),
            "db averaged again": _backward(db="dZ.mean(axis=0)"),
            "gradients cast to float32 (the speed tip misread)": _backward().replace(
                "    return grads", "    return {k: v.astype(np.float32) for k, v in grads.items()}"),
            "autograd instead of the hand-derived gradients (not by hand)": '''
def backward_prop(Y, cache, params, activation, lambd=0.0):
    g = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    tp = {k: torch.tensor(np.asarray(v), requires_grad=True) for k, v in params.items()}
    A = torch.as_tensor(cache["layers"][0][0])
    L = len(params) // 2
    for l in range(1, L + 1):
        A = A @ tp[f"W{l}"] + tp[f"b{l}"]
        if l < L:
            A = g(A)
    loss = torch.nn.functional.cross_entropy(A, torch.as_tensor(Y.argmax(axis=1)))
    loss = loss + lambd / (2 * len(Y)) * sum((tp[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    loss.backward()
    return {"d" + k: t.grad.numpy() for k, t in tp.items()}
''',
        },
        "right": {
            'also computes dZ of the input (unused)': _backward().replace('        if l > 1:\n            dZ = (dZ @ W.T) * dg(layers[l - 2][1])', '        dA = dZ @ W.T\n        if l > 1:\n            dZ = dA * dg(layers[l - 2][1])'),
            "derivative from the activation output A (sigmoid A(1-A), tanh 1-A^2, relu A>0)": '''
def backward_prop(Y, cache, params, activation, lambd=0.0):
    layers = cache["layers"]
    L = len(layers)
    m = len(Y)
    grads = {}
    dZ = (cache["probs"] - Y) / m
    for l in reversed(range(1, L + 1)):
        A_prev = layers[l - 1][0]
        grads["dW" + str(l)] = np.dot(A_prev.T, dZ) + lambd / m * params["W" + str(l)]
        grads["db" + str(l)] = np.sum(dZ, axis=0)
        if l == 1:
            break
        dA = np.dot(dZ, params["W" + str(l)].T)
        if activation == "sigmoid":
            dZ = dA * A_prev * (1 - A_prev)
        elif activation == "tanh":
            dZ = dA * (1 - A_prev ** 2)
        else:
            dZ = dA * (A_prev > 0)
    return grads
''',
        },
    },
    "update_parameters": {
        "wrong": {
            "gradient ascent (plus sign)": '''
def update_parameters(params, grads, learning_rate):
    return {k: v + learning_rate * grads["d" + k] for k, v in params.items()}
''',
            "biases not updated": '''
def update_parameters(params, grads, learning_rate):
    for k in params:
        if k.startswith("W"):
            params[k] = params[k] - learning_rate * grads["d" + k]
    return params
''',
            "loop variable rebound, nothing stored": '''
def update_parameters(params, grads, learning_rate):
    for k, v in params.items():
        v = v - learning_rate * grads["d" + k]
    return params
''',
            "learning rate ignored": '''
def update_parameters(params, grads, learning_rate):
    return {k: v - grads["d" + k] for k, v in params.items()}
''',
        },
        "right": {
            "new dict by comprehension": '''
def update_parameters(params, grads, learning_rate):
    return {key: value - learning_rate * grads[f"d{key}"] for key, value in params.items()}
''',
        },
    },
    "train": {
        "wrong": {
            "never shuffles": _train(batch="X[start:start + batch_size], Y[start:start + batch_size]"),
            "X and Y shuffled with different permutations": _train(
                batch="X[order[start:start + batch_size]], "
                      "Y[rng.permutation(n)[start:start + batch_size]]"),
            "last partial minibatch dropped": _train(stop="n - batch_size + 1"),
            "lambd not passed to backward_prop": _train(lambd="0.0"),
            "one permutation drawn before the epoch loop (the same minibatches every epoch)": _train().replace(
                "        order = rng.permutation(n)\n", "").replace(
                "    for _ in progress(range(epochs)):\n", "    order = rng.permutation(n)\n    for _ in progress(range(epochs)):\n"),
            "update_parameters' return value ignored (relies on an in-place update)": _train().replace(
                "params = update_parameters(params, grads, learning_rate)",
                "update_parameters(params, grads, learning_rate)"),
            "epoch loss is the last minibatch's loss": _train().replace(
                'history["epoch_loss"].append(total / max(count, 1))',
                'history["epoch_loss"].append(loss)'),
            "epoch loss is a plain mean over minibatches of unequal size": _train().replace(
                "total += loss * len(Xb)\n            count += len(Xb)",
                "total += loss\n            count += 1"),
            "losses recorded without the L2 term": _train().replace(
                "loss = cross_entropy_regularized(probs, Yb, params, lambd)",
                "loss = cross_entropy(probs, Yb)"),
            "history a list of epoch losses (no minibatch losses)": _train().replace(
                '            history["batch_loss"].append(loss)\n', "").replace(
                'history = {"batch_loss": [], "epoch_loss": []}', "history = []").replace(
                'history["epoch_loss"].append(', "history.append("),
        },
        "right": {
            'rng.shuffle on an index array, rng or a new generator': _train().replace('rng = np.random.default_rng() if rng is None else rng', 'rng = rng or np.random.default_rng()').replace('        order = rng.permutation(n)', '        order = np.arange(n)\n        rng.shuffle(order)'),
            "copies shuffled arrays once per epoch, while loop, np.average": '''
def train(X, Y, layer_dims, epochs, batch_size, learning_rate, activation, lambd=0.0, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    params = initialize_parameters(layer_dims, rng)
    history = {"epoch_loss": [], "batch_loss": []}
    for epoch in progress(range(epochs), desc="training"):
        perm = rng.permutation(X.shape[0])
        Xs, Ys = X[perm], Y[perm]
        losses, sizes = [], []
        i = 0
        while i < len(Xs):
            xb, yb = Xs[i:i + batch_size], Ys[i:i + batch_size]
            probs, cache = forward_prop(xb, params, activation)
            losses.append(cross_entropy_regularized(probs, yb, params, lambd))
            sizes.append(len(xb))
            params = update_parameters(params, backward_prop(yb, cache, params, activation, lambd), learning_rate)
            i += batch_size
        history["batch_loss"] += losses
        history["epoch_loss"].append(float(np.average(losses, weights=sizes)))
    return params, history
''',
            "loss written out inline, sum of per-sample losses / N": '''
def train(X, Y, layer_dims, epochs, batch_size, learning_rate, activation, lambd=0.0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    params = initialize_parameters(layer_dims, rng)
    N = X.shape[0]
    history = {"batch_loss": [], "epoch_loss": []}
    for epoch in progress(range(epochs)):
        perm = rng.permutation(N)
        summed = 0.0
        for start in range(0, N, batch_size):
            idx = perm[start:start + batch_size]
            probs, cache = forward_prop(X[idx], params, activation)
            p_true = np.sum(probs * Y[idx], axis=1).astype(np.float64)
            sq = sum(np.sum(params[k].astype(np.float64) ** 2) for k in params if k[0] == "W")
            batch_sum = -np.sum(np.log(np.maximum(p_true, 1e-12))) + lambd / 2 * sq
            history["batch_loss"].append(batch_sum / len(idx))
            summed += batch_sum
            params = update_parameters(params, backward_prop(Y[idx], cache, params, activation, lambd),
                                       learning_rate)
        history["epoch_loss"].append(summed / N)
    return params, history
''',
        },
    },
    "predict": {
        "wrong": {
            "returns the probabilities": '''
def predict(X, params, activation):
    probs, _ = forward_prop(X, params, activation)
    return probs
''',
            "argmax over the batch axis": '''
def predict(X, params, activation):
    probs, _ = forward_prop(X, params, activation)
    return probs.argmax(axis=0)
''',
            "activation argument ignored (always relu)": '''
def predict(X, params, activation):
    probs, _ = forward_prop(X, params, "relu")
    return probs.argmax(axis=1)
''',
        },
        "right": {
            "argmax of the logits, own loop": '''
def predict(X, params, activation):
    g = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[activation]
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = g(A @ params[f"W{l}"] + params[f"b{l}"])
    return np.argmax(A @ params[f"W{L}"] + params[f"b{L}"], axis=1)
''',
        },
    },
}
