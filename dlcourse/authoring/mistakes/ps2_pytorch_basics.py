"""Wrong and right answers for ps2/pytorch_basics.ipynb."""

NOTEBOOK = "source/ps2/pytorch_basics.ipynb"


def _dataset(init: str, getitem: str, length: str = "return len(self.labels)") -> str:
    return ("class CustomDataset(Dataset):\n"
            "    def __init__(self, path):\n"
            + "".join(f"        {line}\n" for line in init.strip().splitlines())
            + "    def __len__(self):\n"
            f"        {length}\n"
            "    def __getitem__(self, idx):\n"
            + "".join(f"        {line}\n" for line in getitem.strip().splitlines()))


_GOOD_INIT = """
frame = pd.read_csv(path)
self.inputs = torch.tensor(frame[["x1", "x2"]].to_numpy(), dtype=torch.float64)
self.labels = torch.tensor(frame["label"].to_numpy(), dtype=torch.float64)
"""


def _activation(init: str, forward: str) -> str:
    return ("class WeirdActivation(nn.Module):\n"
            "    def __init__(self, a):\n"
            "        super().__init__()\n"
            f"        {init}\n"
            "    def forward(self, x):\n"
            f"        return {forward}\n")


def _network(layers: str, forward: str) -> str:
    return ("class NeuralNetwork(nn.Module):\n"
            "    def __init__(self, n_x, n_h, n_y, a):\n"
            "        super().__init__()\n"
            + "".join(f"        {line}\n" for line in layers.strip().splitlines())
            + "    def forward(self, x):\n"
            f"        return {forward}\n")


_GOOD_LAYERS = """
self.hidden = nn.Linear(n_x, n_h, dtype=torch.float64)
self.activation = WeirdActivation(a)
self.output = nn.Linear(n_h, n_y, dtype=torch.float64)
"""


def _hyper(lr, epochs=30, n_hidden=16) -> str:
    return f"n_hidden = {n_hidden}\na_init = 0.25\nepochs = {epochs}\nlearning_rate = {lr}\n"


def _jacobian(body: str) -> str:
    return "def jacobian_by_backward(fn, x):\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())


MUTANTS = {
    "CustomDataset": {
        "wrong": {
            "float32 tensors": _dataset(
                """
frame = pd.read_csv(path)
self.inputs = torch.tensor(frame[["x1", "x2"]].to_numpy(), dtype=torch.float32)
self.labels = torch.tensor(frame["label"].to_numpy(), dtype=torch.float32)
""", "return self.inputs[idx], self.labels[idx]"),
            "label left as pandas' int64": _dataset(
                """
frame = pd.read_csv(path)
self.inputs = torch.tensor(frame[["x1", "x2"]].to_numpy())
self.labels = torch.tensor(frame["label"].to_numpy())
""", "return self.inputs[idx], self.labels[idx]"),
            "label of shape [1] from iloc[idx, 2:]": _dataset(
                "self.frame = pd.read_csv(path)",
                "row = torch.tensor(self.frame.iloc[idx].to_numpy(), dtype=torch.float64)\n"
                "return row[:2], row[2:]",
                "return len(self.frame)"),
            "label included in the inputs": _dataset(
                "self.data = torch.tensor(pd.read_csv(path).to_numpy(), dtype=torch.float64)",
                "return self.data[idx], self.data[idx, 2]",
                "return len(self.data)"),
            "header skipped twice: first row lost": _dataset(
                "self.frame = pd.read_csv(path, skiprows=1)\n"
                "self.data = torch.tensor(self.frame.to_numpy(), dtype=torch.float64)",
                "return self.data[idx, :2], self.data[idx, 2]",
                "return len(self.data)"),
            "header row read as data (header=None)": _dataset(
                "self.frame = pd.read_csv(path, header=None)",
                "row = self.frame.iloc[idx]\n"
                "return torch.tensor([float(row[0]), float(row[1])], dtype=torch.float64), "
                "torch.tensor(float(row[2]), dtype=torch.float64)",
                "return len(self.frame)"),
        },
        "right": {
            "pandas row lookup in __getitem__": _dataset(
                "self.frame = pd.read_csv(path)",
                "row = self.frame.iloc[idx]\n"
                "inputs = torch.tensor([row['x1'], row['x2']], dtype=torch.float64)\n"
                "return inputs, torch.tensor(row['label']).double()",
                "return self.frame.shape[0]"),
            "one float64 array, torch.from_numpy": _dataset(
                "self.data = pd.read_csv(path).to_numpy(dtype=np.float64)",
                "return torch.from_numpy(self.data[idx, :2].copy()), torch.from_numpy(self.data[idx, -1:].copy())[0]",
                "return len(self.data)"),
        },
    },
    "loaders": {
        "wrong": {
            "no shuffling": (
                "train_dataset = CustomDataset(dataset_path('moons', 'train'))\n"
                "test_dataset = CustomDataset(dataset_path('moons', 'test'))\n"
                "train_loader = DataLoader(train_dataset, batch_size=128)\n"),
            "batch size 64": (
                "train_dataset = CustomDataset(dataset_path('moons', 'train'))\n"
                "test_dataset = CustomDataset(dataset_path('moons', 'test'))\n"
                "train_loader = DataLoader(train_dataset, batch_size=64, shuffle=True)\n"),
            "loader built on the test split": (
                "train_dataset = CustomDataset(dataset_path('moons', 'train'))\n"
                "test_dataset = CustomDataset(dataset_path('moons', 'test'))\n"
                "train_loader = DataLoader(test_dataset, batch_size=128, shuffle=True)\n"),
            # The prose asks for every sample once per epoch (keep the last, smaller batch).
            "drop_last=True: the last, smaller batch never served": (
                "train_dataset = CustomDataset(dataset_path('moons', 'train'))\n"
                "test_dataset = CustomDataset(dataset_path('moons', 'test'))\n"
                "train_loader = DataLoader(train_dataset, batch_size=128, shuffle=True, drop_last=True)\n"),
            "both datasets from the train file": (
                "train_dataset = CustomDataset(dataset_path('moons', 'train'))\n"
                "test_dataset = CustomDataset(dataset_path('moons', 'train'))\n"
                "train_loader = DataLoader(train_dataset, batch_size=128, shuffle=True)\n"),
        },
        "right": {
            "explicit RandomSampler, positional batch size": (
                "train_dataset = CustomDataset(dataset_path('moons', split='train'))\n"
                "test_dataset = CustomDataset(str(dataset_path('moons', split='test')))\n"
                "train_loader = DataLoader(train_dataset, 128, sampler=RandomSampler(train_dataset))\n"),
            # Shuffled all the same: the visible test checks what the loader does, not its sampler's class.
            "SubsetRandomSampler over every index": (
                "from torch.utils.data import SubsetRandomSampler\n"
                "train_dataset = CustomDataset(dataset_path('moons', 'train'))\n"
                "test_dataset = CustomDataset(dataset_path('moons', 'test'))\n"
                "train_loader = DataLoader(train_dataset, batch_size=128,\n"
                "                          sampler=SubsetRandomSampler(range(len(train_dataset))))\n"),
        },
    },
    "WeirdActivation": {
        "wrong": {
            "plain tensor, not an nn.Parameter": _activation(
                "self.a = torch.tensor(float(a), dtype=torch.float64, requires_grad=True)",
                "torch.relu(x) - self.a * torch.relu(-x)"),
            "sign flipped: relu(x) + a relu(-x)": _activation(
                "self.a = nn.Parameter(torch.tensor(float(a), dtype=torch.float64))",
                "torch.relu(x) + self.a * torch.relu(-x)"),
            "a on the positive side": _activation(
                "self.a = nn.Parameter(torch.tensor(float(a), dtype=torch.float64))",
                "self.a * torch.relu(x) - torch.relu(-x)"),
            "leaky_relu with float(a): no gradient to a": _activation(
                "self.a = nn.Parameter(torch.tensor(float(a), dtype=torch.float64))",
                "torch.nn.functional.leaky_relu(x, float(self.a))"),
            # Equal to g_a only for a <= 1: the hidden tests include a = 2.5.
            "torch.maximum(x, a * x) (the leaky-ReLU shortcut, wrong for a > 1)": _activation(
                "self.a = nn.Parameter(torch.tensor(float(a), dtype=torch.float64))",
                "torch.maximum(x, self.a * x)"),
            "a stored as float32": _activation(
                "self.a = nn.Parameter(torch.tensor(a))",
                "torch.relu(x) - self.a * torch.relu(-x)"),
        },
        "right": {
            "torch.where": _activation(
                "self.a = nn.Parameter(torch.tensor(a, dtype=torch.float64))",
                "torch.where(x > 0, x, self.a * x)"),
            "clamps, a as a 1-element parameter of shape (1,)": _activation(
                "self.register_parameter('a', nn.Parameter(torch.full((1,), a, dtype=torch.float64)))",
                "x.clamp(min=0) + self.a * x.clamp(max=0)"),
            # The PReLU the model answer names: F.prelu needs the input's dtype, float64 as promised.
            "F.prelu (PyTorch's PReLU)": "import torch.nn.functional as F\n" + _activation(
                "self.a = nn.Parameter(torch.tensor(a, dtype=torch.float64))",
                "F.prelu(x, self.a)"),
            # Warnings never cost points: torch.tensor(tensor) warns (UserWarning), and so may library code.
            "with a UserWarning and a DeprecationWarning": "import warnings\n" + _activation(
                "self.a = nn.Parameter(torch.tensor(torch.as_tensor(a, dtype=torch.float64)))",
                "(warnings.warn('old API', DeprecationWarning), torch.where(x > 0, x, self.a * x))[1]"),
        },
    },
    "NeuralNetwork": {
        "wrong": {
            "no sigmoid at the end": _network(_GOOD_LAYERS, "self.output(self.activation(self.hidden(x)))"),
            "nn.ReLU instead of WeirdActivation": _network(
                "self.hidden = nn.Linear(n_x, n_h, dtype=torch.float64)\n"
                "self.activation = nn.ReLU()\n"
                "self.output = nn.Linear(n_h, n_y, dtype=torch.float64)",
                "torch.sigmoid(self.output(self.activation(self.hidden(x))))"),
            "a ignored (WeirdActivation(0.25))": _network(
                _GOOD_LAYERS.replace("WeirdActivation(a)", "WeirdActivation(0.25)"),
                "torch.sigmoid(self.output(self.activation(self.hidden(x))))"),
            "float32 layers": _network(
                "self.hidden = nn.Linear(n_x, n_h)\n"
                "self.activation = WeirdActivation(a)\n"
                "self.output = nn.Linear(n_h, n_y)",
                "torch.sigmoid(self.output(self.activation(self.hidden(x))))"),
            "activations in the wrong places": _network(
                _GOOD_LAYERS, "self.activation(self.output(torch.sigmoid(self.hidden(x))))"),
        },
        "right": {
            "nn.Sequential, then .double()": (
                "class NeuralNetwork(nn.Module):\n"
                "    def __init__(self, n_x, n_h, n_y, a):\n"
                "        super().__init__()\n"
                "        self.layers = nn.Sequential(nn.Linear(n_x, n_h), WeirdActivation(a),\n"
                "                                    nn.Linear(n_h, n_y), nn.Sigmoid()).double()\n"
                "    def forward(self, x):\n"
                "        return self.layers(x)\n"),
        },
    },
    "hyperparameters": {
        "wrong": {
            "shipped learning rate left as is": _hyper(100.0),
            "far too small": _hyper(1e-3),
            "still too large": _hyper(10.0),
            "good rate, far too few epochs": _hyper(0.5, epochs=3),
        },
        "right": {
            "larger rate, more epochs, wider layer": _hyper(0.8, epochs=40, n_hidden=32),
        },
    },
    "jacobian_by_backward": {
        "wrong": {
            "transposed (inputs x outputs)": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
cols = []
for i in range(len(y)):
    (g,) = torch.autograd.grad(y[i], x, retain_graph=True)
    cols.append(g)
return torch.stack(cols, dim=1)
"""),
            "x.grad never cleared (rows are running sums)": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
rows = []
for i in range(len(y)):
    y[i].backward(retain_graph=True)
    rows.append(x.grad.clone())
return torch.stack(rows)
"""),
            "x.grad appended, then zero_() (every row aliased, all zero)": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
rows = []
for i in range(len(y)):
    y[i].backward(retain_graph=True)
    rows.append(x.grad)
    x.grad.zero_()
return torch.stack(rows)
"""),
            "zero_() before each pass, x.grad appended (every row the last one)": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
rows = []
for i in range(len(y)):
    if x.grad is not None:
        x.grad.zero_()
    y[i].backward(retain_graph=True)
    rows.append(x.grad)
return torch.stack(rows)
"""),
            "never cleared and x.grad appended (every row the column sums)": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
J = []
for i in range(len(y)):
    y[i].backward(retain_graph=True)
    J.append(x.grad)
return torch.stack(J)
"""),
            "backward of y.sum() for every row": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
y.sum().backward()
return x.grad.repeat(len(y), 1)
"""),
            # Values right to float32 rounding; the prose asks for x's dtype (its own check and hint).
            "J allocated with torch.zeros(m, n): float32 for float64 x": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
J = torch.zeros(len(y), len(x))
for i in range(len(y)):
    x.grad = None
    y[i].backward(retain_graph=True)
    J[i] = x.grad
return J
"""),
            "calls torch.autograd.functional.jacobian": _jacobian(
                "return torch.autograd.functional.jacobian(fn, x)"),
            "from torch.autograd.functional import jacobian": (
                "from torch.autograd.functional import jacobian\n" + _jacobian("return jacobian(fn, x)")),
            "torch.func.jacrev": _jacobian("return torch.func.jacrev(fn)(x.detach())"),
            "torch.func.vmap over the vector-Jacobian product": _jacobian("""
_, vjp = torch.func.vjp(fn, x.detach())
m = fn(x.detach()).numel()
return torch.func.vmap(vjp)(torch.eye(m, dtype=x.dtype))[0]
"""),
            "all rows in one batched backward pass (is_grads_batched)": _jacobian("""
leaf = x.detach().requires_grad_(True)
y = fn(leaf)
eye = torch.eye(y.numel(), dtype=y.dtype)
return torch.autograd.grad(y, leaf, eye, is_grads_batched=True)[0]
"""),
            "requires_grad_ on the caller's x": _jacobian("""
x.requires_grad_(True)
y = fn(x)
rows = []
for i in range(len(y)):
    x.grad = None
    y[i].backward(retain_graph=True)
    rows.append(x.grad.clone())
return torch.stack(rows)
"""),
        },
        "right": {
            "autograd.grad with one-hot grad_outputs": _jacobian("""
leaf = x.detach().requires_grad_()
out = fn(leaf)
eye = torch.eye(out.shape[0], dtype=out.dtype)
return torch.stack([torch.autograd.grad(out, leaf, eye[i], retain_graph=True)[0]
                    for i in range(out.shape[0])])
"""),
            "torch.autograd.backward with one-hot grad_tensors": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
rows = []
for i in range(y.shape[0]):
    x.grad = None
    onehot = torch.nn.functional.one_hot(torch.tensor(i), y.shape[0]).to(y.dtype)
    torch.autograd.backward(y, grad_tensors=onehot, retain_graph=True)
    rows.append(x.grad.clone())
return torch.stack(rows)
"""),
            "x.grad.clone() stored, then zero_()": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
rows = []
for i in range(len(y)):
    y[i].backward(retain_graph=True)
    rows.append(x.grad.clone())
    x.grad.zero_()
return torch.stack(rows)
"""),
            "x.grad = None before each pass, x.grad stored as is": _jacobian("""
x = x.detach().clone().requires_grad_(True)
y = fn(x)
rows = []
for i in range(len(y)):
    x.grad = None
    y[i].backward(retain_graph=True)
    rows.append(x.grad)
return torch.stack(rows)
"""),
            "torch.tensor(x, requires_grad=True) (a UserWarning)": _jacobian("""
leaf = torch.tensor(x, requires_grad=True)
y = fn(leaf)
J = torch.zeros(len(y), len(leaf), dtype=x.dtype)
for i in range(len(y)):
    leaf.grad = None
    y[i].backward(retain_graph=True)
    J[i] = leaf.grad
return J
"""),
            "fresh forward pass for every row": _jacobian("""
m = fn(x.detach()).numel()
J = x.new_zeros((m, x.numel()))
for i in range(m):
    leaf = x.detach().clone().requires_grad_(True)
    fn(leaf)[i].backward()
    J[i] = leaf.grad
return J
"""),
        },
    },
}
