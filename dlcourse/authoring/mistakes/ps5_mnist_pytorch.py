"""Wrong and right answers for ps5/mnist_pytorch.ipynb."""

NOTEBOOK = "source/ps5/mnist_pytorch.ipynb"

_MLP_HEAD = (
    "class MLP(nn.Module):\n"
    "    def __init__(self, layer_dims, activation):\n"
    "        super().__init__()\n"
)

_TRAIN_HEAD = "def train_loop(dataloader, model, loss_fn, optimizer):\n"
_TEST_HEAD = "def test_loop(dataloader, model, loss_fn):\n"

MUTANTS = {
    "MLP": {
        "wrong": {
            "layers in a plain Python list (not registered)": _MLP_HEAD + (
                "        acts = {'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh, 'relu': nn.ReLU}\n"
                "        self.layers = []\n"
                "        for a, b in zip(layer_dims[:-1], layer_dims[1:]):\n"
                "            self.layers += [nn.Linear(a, b), acts[activation]()]\n"
                "        self.layers = self.layers[:-1]\n"
                "    def forward(self, x):\n"
                "        for layer in self.layers:\n"
                "            x = layer(x)\n"
                "        return x\n"),
            "activation after the output layer too": _MLP_HEAD + (
                "        acts = {'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh, 'relu': nn.ReLU}\n"
                "        layers = []\n"
                "        for a, b in zip(layer_dims[:-1], layer_dims[1:]):\n"
                "            layers += [nn.Linear(a, b), acts[activation]()]\n"
                "        self.net = nn.Sequential(*layers)\n"
                "    def forward(self, x):\n"
                "        return self.net(x)\n"),
            "softmax on the output (double softmax with CrossEntropyLoss)": _MLP_HEAD + (
                "        acts = {'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh, 'relu': nn.ReLU}\n"
                "        layers = []\n"
                "        for a, b in zip(layer_dims[:-1], layer_dims[1:]):\n"
                "            layers += [nn.Linear(a, b), acts[activation]()]\n"
                "        self.net = nn.Sequential(*layers[:-1], nn.Softmax(dim=1))\n"
                "    def forward(self, x):\n"
                "        return self.net(x)\n"),
            "activation string ignored (always ReLU)": _MLP_HEAD + (
                "        layers = []\n"
                "        for a, b in zip(layer_dims[:-1], layer_dims[1:]):\n"
                "            layers += [nn.Linear(a, b), nn.ReLU()]\n"
                "        self.net = nn.Sequential(*layers[:-1])\n"
                "    def forward(self, x):\n"
                "        return self.net(x)\n"),
            "hard-coded one hidden layer": _MLP_HEAD + (
                "        acts = {'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh, 'relu': nn.ReLU}\n"
                "        self.net = nn.Sequential(nn.Linear(layer_dims[0], layer_dims[1]), acts[activation](),\n"
                "                                 nn.Linear(layer_dims[1], layer_dims[-1]))\n"
                "    def forward(self, x):\n"
                "        return self.net(x)\n"),
        },
        "right": {
            "ModuleList with functional activations": _MLP_HEAD + (
                "        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(layer_dims, layer_dims[1:]))\n"
                "        self.act = getattr(torch, activation)\n"
                "    def forward(self, x):\n"
                "        for linear in self.linears[:-1]:\n"
                "            x = self.act(linear(x))\n"
                "        return self.linears[-1](x)\n"),
            "attributes set one by one with add_module": _MLP_HEAD + (
                "        self.n = len(layer_dims) - 1\n"
                "        self.activation = activation\n"
                "        for i in range(self.n):\n"
                "            self.add_module(f'fc{i}', nn.Linear(layer_dims[i], layer_dims[i + 1]))\n"
                "    def forward(self, x):\n"
                "        f = {'relu': nn.functional.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid}[self.activation]\n"
                "        for i in range(self.n):\n"
                "            x = getattr(self, f'fc{i}')(x)\n"
                "            if i < self.n - 1:\n"
                "                x = f(x)\n"
                "        return x\n"),
        },
    },
    "train_loop": {
        "wrong": {
            "zero_grad forgotten (gradients accumulate)": _TRAIN_HEAD + (
                "    model.train()\n"
                "    total = 0.0\n"
                "    for X, y in dataloader:\n"
                "        loss = loss_fn(model(X), y)\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        total += loss.item()\n"
                "    return total / len(dataloader)\n"),
            "returns the last batch's loss": _TRAIN_HEAD + (
                "    model.train()\n"
                "    for X, y in dataloader:\n"
                "        loss = loss_fn(model(X), y)\n"
                "        optimizer.zero_grad()\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "    return loss.item()\n"),
            "sum of batch means divided by the number of samples": _TRAIN_HEAD + (
                "    model.train()\n"
                "    total = 0.0\n"
                "    for X, y in dataloader:\n"
                "        loss = loss_fn(model(X), y)\n"
                "        optimizer.zero_grad()\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        total += loss.item()\n"
                "    return total / len(dataloader.dataset)\n"),
            "model.train() missing (dropout stays off after an evaluation)": _TRAIN_HEAD + (
                "    total = 0.0\n"
                "    for X, y in dataloader:\n"
                "        loss = loss_fn(model(X), y)\n"
                "        optimizer.zero_grad()\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        total += loss.item()\n"
                "    return total / len(dataloader)\n"),
            "zero_grad between backward and step (never moves)": _TRAIN_HEAD + (
                "    model.train()\n"
                "    total = 0.0\n"
                "    for X, y in dataloader:\n"
                "        loss = loss_fn(model(X), y)\n"
                "        loss.backward()\n"
                "        optimizer.zero_grad()\n"
                "        optimizer.step()\n"
                "        total += loss.item()\n"
                "    return total / len(dataloader)\n"),
        },
        "right": {
            "sample-weighted mean, zero_grad after the step": _TRAIN_HEAD + (
                "    model.train()\n"
                "    total, n = 0.0, 0\n"
                "    for X, y in dataloader:\n"
                "        loss = loss_fn(model(X), y)\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        optimizer.zero_grad()\n"
                "        total += loss.item() * len(y)\n"
                "        n += len(y)\n"
                "    return total / n\n"),
            "model.zero_grad(set_to_none=True), tensor mean returned": _TRAIN_HEAD + (
                "    model.train()\n"
                "    losses = []\n"
                "    for batch, (X, y) in enumerate(dataloader):\n"
                "        model.zero_grad(set_to_none=True)\n"
                "        pred = model(X)\n"
                "        loss = loss_fn(pred, y)\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        losses.append(loss.detach())\n"
                "    return torch.stack(losses).mean()\n"),
        },
    },
    "test_loop": {
        # The training cells after test_loop are graded separately; keep these runs fast.
        "tests": ["test_test_loop_visible", "test_test_loop_hidden"],
        "wrong": {
            "accuracy divided by the number of batches": _TEST_HEAD + (
                "    model.eval()\n"
                "    total, correct = 0.0, 0\n"
                "    with torch.no_grad():\n"
                "        for X, y in dataloader:\n"
                "            pred = model(X)\n"
                "            total += loss_fn(pred, y).item()\n"
                "            correct += (pred.argmax(1) == y).sum().item()\n"
                "    return total / len(dataloader), correct / len(dataloader)\n"),
            "no torch.no_grad()": _TEST_HEAD + (
                "    model.eval()\n"
                "    total, correct = 0.0, 0\n"
                "    for X, y in dataloader:\n"
                "        pred = model(X)\n"
                "        total += loss_fn(pred, y).item()\n"
                "        correct += (pred.argmax(1) == y).sum().item()\n"
                "    return total / len(dataloader), correct / len(dataloader.dataset)\n"),
            "model.eval() missing (dropout on while testing)": _TEST_HEAD + (
                "    total, correct = 0.0, 0\n"
                "    with torch.no_grad():\n"
                "        for X, y in dataloader:\n"
                "            pred = model(X)\n"
                "            total += loss_fn(pred, y).item()\n"
                "            correct += (pred.argmax(1) == y).sum().item()\n"
                "    return total / len(dataloader), correct / len(dataloader.dataset)\n"),
            "mean of per-batch accuracies": _TEST_HEAD + (
                "    model.eval()\n"
                "    total, accs = 0.0, []\n"
                "    with torch.no_grad():\n"
                "        for X, y in dataloader:\n"
                "            pred = model(X)\n"
                "            total += loss_fn(pred, y).item()\n"
                "            accs.append((pred.argmax(1) == y).float().mean().item())\n"
                "    return total / len(dataloader), sum(accs) / len(accs)\n"),
            "accuracy in percent": _TEST_HEAD + (
                "    model.eval()\n"
                "    total, correct = 0.0, 0\n"
                "    with torch.no_grad():\n"
                "        for X, y in dataloader:\n"
                "            pred = model(X)\n"
                "            total += loss_fn(pred, y).item()\n"
                "            correct += (pred.argmax(1) == y).sum().item()\n"
                "    return total / len(dataloader), 100 * correct / len(dataloader.dataset)\n"),
        },
        "right": {
            "inference_mode, sample-weighted loss, predictions concatenated": _TEST_HEAD + (
                "    model.eval()\n"
                "    preds, labels, total = [], [], 0.0\n"
                "    with torch.inference_mode():\n"
                "        for X, y in dataloader:\n"
                "            logits = model(X)\n"
                "            total += loss_fn(logits, y).item() * y.numel()\n"
                "            preds.append(logits.argmax(dim=1))\n"
                "            labels.append(y)\n"
                "    preds, labels = torch.cat(preds), torch.cat(labels)\n"
                "    return total / labels.numel(), (preds == labels).float().mean().item()\n"),
            "torch.no_grad as a decorator on a helper": _TEST_HEAD + (
                "    @torch.no_grad()\n"
                "    def run():\n"
                "        model.eval()\n"
                "        losses, correct, n = [], 0, 0\n"
                "        for X, y in dataloader:\n"
                "            out = model(X)\n"
                "            losses.append(loss_fn(out, y).item())\n"
                "            correct += int((out.argmax(-1) == y).sum())\n"
                "            n += len(y)\n"
                "        return sum(losses) / len(losses), correct / n\n"
                "    return run()\n"),
        },
    },
}
