"""Wrong and right answers for ps5/mnist_pytorch.ipynb."""

NOTEBOOK = "source/ps5/mnist_pytorch.ipynb"

_MLP_HEAD = (
    "class MLP(nn.Module):\n"
    "    def __init__(self, layer_dims, activation):\n"
    "        super().__init__()\n"
)

_TRAIN_HEAD = "def train_loop(dataloader, model, loss_fn, optimizer):\n"
_TEST_HEAD = "def test_loop(dataloader, model, loss_fn):\n"
_CNN_HEAD = (
    "class CNN(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
)


def _cnn(conv1="nn.Conv2d(1, 16, kernel_size=3, padding=1)", conv2="nn.Conv2d(16, 32, kernel_size=3, padding=1)",
         act1="nn.ReLU()", act2="nn.ReLU()", pool="nn.MaxPool2d(2)", tail="nn.Dropout(0.25), nn.Linear(32 * 7 * 7, 10)"):
    """A Sequential CNN with the given pieces (the reference when called without arguments)."""
    return _CNN_HEAD + (
        f"        self.features = nn.Sequential({conv1}, {act1}, {pool}, {conv2}, {act2}, {pool})\n"
        f"        self.classifier = nn.Sequential(nn.Flatten(), {tail})\n"
        "    def forward(self, x):\n"
        "        return self.classifier(self.features(x))\n")

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
            "output layer defined before the hidden layers": _MLP_HEAD + (
                "        self.out = nn.Linear(layer_dims[-2], layer_dims[-1])\n"
                "        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(layer_dims[:-2], layer_dims[1:-1]))\n"
                "        self.g = {'sigmoid': nn.Sigmoid(), 'tanh': nn.Tanh(), 'relu': nn.ReLU()}[activation]\n"
                "    def forward(self, x):\n"
                "        for layer in self.hidden:\n"
                "            x = self.g(layer(x))\n"
                "        return self.out(x)\n"),
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
            "plain mean of the batch losses (the last, smaller batch over-weighted)": _TRAIN_HEAD + (
                "    model.train()\n"
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
            "model.zero_grad(set_to_none=True), weighted tensor mean returned": _TRAIN_HEAD + (
                "    model.train()\n"
                "    losses, sizes = [], []\n"
                "    for batch, (X, y) in enumerate(dataloader):\n"
                "        model.zero_grad(set_to_none=True)\n"
                "        pred = model(X)\n"
                "        loss = loss_fn(pred, y)\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        losses.append(loss.detach())\n"
                "        sizes.append(X.shape[0])\n"
                "    sizes = torch.tensor(sizes, dtype=torch.float32)\n"
                "    return (torch.stack(losses) * sizes).sum() / sizes.sum()\n"),
            "divides by len(dataloader.dataset)": _TRAIN_HEAD + (
                "    model.train()\n"
                "    total = 0.0\n"
                "    for X, y in dataloader:\n"
                "        optimizer.zero_grad()\n"
                "        loss = loss_fn(model(X), y)\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        total += loss.item() * X.size(0)\n"
                "    return total / len(dataloader.dataset)\n"),
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
            "loss: plain mean of the batch losses": _TEST_HEAD + (
                "    model.eval()\n"
                "    total, correct, n = 0.0, 0, 0\n"
                "    with torch.no_grad():\n"
                "        for X, y in dataloader:\n"
                "            pred = model(X)\n"
                "            total += loss_fn(pred, y).item()\n"
                "            correct += (pred.argmax(1) == y).sum().item()\n"
                "            n += len(y)\n"
                "    return total / len(dataloader), correct / n\n"),
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
                "        loss_sum, correct, n = 0.0, 0, 0\n"
                "        for X, y in dataloader:\n"
                "            out = model(X)\n"
                "            loss_sum += float(loss_fn(out, y)) * len(y)\n"
                "            correct += int((out.argmax(-1) == y).sum())\n"
                "            n += len(y)\n"
                "        return loss_sum / n, correct / n\n"
                "    return run()\n"),
        },
    },
    "CNN": {
        "wrong": {
            "5x5 kernels without padding (28 -> 24 -> 12 -> 8 -> 4)": _cnn(
                conv1="nn.Conv2d(1, 16, kernel_size=5)", conv2="nn.Conv2d(16, 32, kernel_size=5)",
                tail="nn.Dropout(0.25), nn.Linear(32 * 4 * 4, 10)"),
            "3x3 kernels without padding (28 -> 26 -> 13 -> 11 -> 5)": _cnn(
                conv1="nn.Conv2d(1, 16, kernel_size=3)", conv2="nn.Conv2d(16, 32, kernel_size=3)",
                tail="nn.Dropout(0.25), nn.Linear(32 * 5 * 5, 10)"),
            "ReLU after the second conv forgotten": _cnn(act2="nn.Identity()"),
            "average pooling instead of max-pooling": _cnn(pool="nn.AvgPool2d(2)"),
            "no dropout": _cnn(tail="nn.Linear(32 * 7 * 7, 10)"),
            "softmax on the output (double softmax with CrossEntropyLoss)": _cnn(
                tail="nn.Dropout(0.25), nn.Linear(32 * 7 * 7, 10), nn.Softmax(dim=1)"),
            "channels 32 then 16": _cnn(
                conv1="nn.Conv2d(1, 32, kernel_size=3, padding=1)", conv2="nn.Conv2d(32, 16, kernel_size=3, padding=1)",
                tail="nn.Dropout(0.25), nn.Linear(16 * 7 * 7, 10)"),
            "dropout p = 0.5 instead of 0.25": _cnn(tail="nn.Dropout(0.5), nn.Linear(32 * 7 * 7, 10)"),
            "dropout after the first pooling, not before the linear layer": _cnn(
                conv2="nn.Dropout(0.25), nn.Conv2d(16, 32, kernel_size=3, padding=1)",
                tail="nn.Linear(32 * 7 * 7, 10)"),
            "F.dropout without training=self.training (dropout also in eval mode)": _CNN_HEAD + (
                "        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)\n"
                "        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)\n"
                "        self.fc = nn.Linear(1568, 10)\n"
                "    def forward(self, x):\n"
                "        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)\n"
                "        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)\n"
                "        return self.fc(nn.functional.dropout(x.flatten(1), 0.25))\n"),
        },
        "right": {
            "pool before ReLU (they commute), one nn.Sequential": _CNN_HEAD + (
                "        self.net = nn.Sequential(\n"
                "            nn.Conv2d(1, 16, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),\n"
                "            nn.Conv2d(16, 32, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),\n"
                "            nn.Flatten(), nn.Dropout(p=0.25), nn.Linear(1568, 10))\n"
                "    def forward(self, x):\n"
                "        return self.net(x)\n"),
            "functional ReLU, pooling and dropout (training=self.training), view to flatten": _CNN_HEAD + (
                "        self.conv1 = nn.Conv2d(1, 16, kernel_size=(3, 3), padding=\"same\")\n"
                "        self.conv2 = nn.Conv2d(16, 32, kernel_size=(3, 3), padding=\"same\")\n"
                "        self.fc = nn.Linear(32 * 7 * 7, 10)\n"
                "    def forward(self, x):\n"
                "        x = x.view(-1, 1, 28, 28)\n"
                "        x = nn.functional.max_pool2d(nn.functional.relu(self.conv1(x)), kernel_size=2)\n"
                "        x = nn.functional.max_pool2d(nn.functional.relu(self.conv2(x)), kernel_size=2)\n"
                "        x = nn.functional.dropout(x.view(x.size(0), -1), p=0.25, training=self.training)\n"
                "        return self.fc(x)\n"),
            "layers defined out of order (linear, then conv2, then conv1)": _CNN_HEAD + (
                "        self.fc = nn.Linear(1568, 10)\n"
                "        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)\n"
                "        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)\n"
                "        self.drop = nn.Dropout(0.25)\n"
                "    def forward(self, x):\n"
                "        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)\n"
                "        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)\n"
                "        return self.fc(self.drop(x.flatten(1)))\n"),
            "nn.Dropout before nn.Flatten (the same elementwise dropout)": _CNN_HEAD + (
                "        self.body = nn.Sequential(\n"
                "            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
                "            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25))\n"
                "        self.head = nn.Linear(1568, 10)\n"
                "    def forward(self, x):\n"
                "        return self.head(self.body(x).reshape(len(x), -1))\n"),
            "one ReLU module shared by both convs": _CNN_HEAD + (
                "        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)\n"
                "        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)\n"
                "        self.relu = nn.ReLU()\n"
                "        self.pool = nn.MaxPool2d(2, 2)\n"
                "        self.drop = nn.Dropout(0.25)\n"
                "        self.out = nn.Linear(1568, 10)\n"
                "    def forward(self, x):\n"
                "        x = self.pool(self.relu(self.conv1(x)))\n"
                "        x = self.pool(self.relu(self.conv2(x)))\n"
                "        return self.out(self.drop(torch.flatten(x, 1)))\n"),
        },
    },
}
