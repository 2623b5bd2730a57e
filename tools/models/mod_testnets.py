"""Small onnx.helper ResNets for testing the MoD builder (not torch exports: generic node names, no hints).

``resnet(kind, layers, widths)`` builds a torchvision-shaped ResNet (v1.5: stride on the 3×3 conv of a Bottleneck)
with unfolded BatchNormalization nodes and random, seeded parameters; ``fold_bn`` gives its BN-folded twin.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class _Net:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.n = 0

    def _t(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def param(self, a: np.ndarray) -> str:
        name = f"p{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(a.astype(np.float32), name))
        return name

    def op(self, op: str, inputs: list[str], **attrs) -> str:
        out = self._t()
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"n{len(self.nodes)}_{op.lower()}", **attrs))
        return out

    def conv_bn(self, x: str, cin: int, cout: int, ks: int, stride: int, relu: bool, gamma: float = 1.0) -> str:
        w = self.rng.standard_normal((cout, cin, ks, ks)) * np.sqrt(2.0 / (cin * ks * ks))
        y = self.op("Conv", [x, self.param(w)], kernel_shape=[ks, ks], strides=[stride, stride],
                    pads=[ks // 2] * 4)
        bn = [gamma * (0.5 + self.rng.random(cout)), 0.1 * self.rng.standard_normal(cout),
              0.1 * self.rng.standard_normal(cout), 0.5 + self.rng.random(cout)]
        y = self.op("BatchNormalization", [y] + [self.param(p) for p in bn], epsilon=1e-5)
        return self.op("Relu", [y]) if relu else y


def resnet(kind: str = "bottleneck", layers=(3, 4, 6, 3), widths=(64, 128, 256, 512), stem: int = 64,
           image: int = 224, classes: int = 1000, seed: int = 0, batch: int = 1) -> onnx.ModelProto:
    """A ResNet with BN nodes; ``kind`` is 'basic' (expansion 1) or 'bottleneck' (expansion 4)."""
    net = _Net(seed)
    exp = 4 if kind == "bottleneck" else 1
    x = net.conv_bn("input", 3, stem, 7, 2, True)
    x = net.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = stem
    for si, (nb, w) in enumerate(zip(layers, widths)):
        for bi in range(nb):
            stride = 2 if bi == 0 and si > 0 else 1
            cout = w * exp
            if kind == "bottleneck":
                y = net.conv_bn(x, cin, w, 1, 1, True)
                y = net.conv_bn(y, w, w, 3, stride, True)
                y = net.conv_bn(y, w, cout, 1, 1, False, gamma=0.3)
            else:
                y = net.conv_bn(x, cin, w, 3, stride, True)
                y = net.conv_bn(y, w, cout, 3, 1, False, gamma=0.3)
            short = x if stride == 1 and cin == cout else net.conv_bn(x, cin, cout, 1, stride, False)
            x = net.op("Relu", [net.op("Add", [y, short])])
            cin = cout
    x = net.op("Flatten", [net.op("GlobalAveragePool", [x])], axis=1)
    fc_w = net.param(net.rng.standard_normal((classes, cin)) / np.sqrt(cin))
    y = net.op("Gemm", [x, fc_w, net.param(np.zeros(classes))], transB=1)
    net.nodes[-1].output[0] = "output"
    g = helper.make_graph(net.nodes, "resnet", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                              [batch, 3, image, image])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, classes])], net.inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="mod_testnets")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def fold_bn(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same network with every Conv → BatchNormalization pair folded into one Conv with bias."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    nodes, extra, renamed = [], [], {}
    for n in g.node:
        if n.op_type == "BatchNormalization" and producer[n.input[0]].op_type == "Conv":
            conv = producer[n.input[0]]
            scale, beta, mean, var = (inits[p] for p in n.input[1:5])
            eps = next((helper.get_attribute_value(a) for a in n.attribute if a.name == "epsilon"), 1e-5)
            s = scale / np.sqrt(var + eps)
            w = inits[conv.input[1]] * s[:, None, None, None]
            b = (inits[conv.input[2]] if len(conv.input) > 2 else 0.0) - mean
            extra += [numpy_helper.from_array(w.astype(np.float32), conv.input[1] + "_f"),
                      numpy_helper.from_array((b * s + beta).astype(np.float32), conv.input[1] + "_fb")]
            del conv.input[1:]
            conv.input.extend([extra[-2].name, extra[-1].name])
            renamed[n.output[0]] = conv.output[0]
            continue
        nodes.append(n)
    for n in nodes:
        for i, x in enumerate(n.input):
            n.input[i] = renamed.get(x, x)
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(extra)
    used = {x for n in g.node for x in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    return m


def torch_resnet_export(path: str, layers=(2, 3), widths=(8, 16), image: int = 32, fold: bool = True,
                        seed: int = 0) -> None:
    """Export a small torchvision-style Bottleneck ResNet (own torch code, names as torchvision) with the legacy
    exporter at opset 17; ``fold=False`` keeps the BatchNormalization nodes (TrainingMode.PRESERVE in eval)."""
    import torch
    from torch import nn

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, w: int, stride: int):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, w, 1, bias=False), nn.BatchNorm2d(w)
            self.conv2, self.bn2 = nn.Conv2d(w, w, 3, stride, 1, bias=False), nn.BatchNorm2d(w)
            self.conv3, self.bn3 = nn.Conv2d(w, 4 * w, 1, bias=False), nn.BatchNorm2d(4 * w)
            self.relu = nn.ReLU()
            self.downsample = None
            if stride != 1 or cin != 4 * w:
                self.downsample = nn.Sequential(nn.Conv2d(cin, 4 * w, 1, stride, bias=False), nn.BatchNorm2d(4 * w))

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
            return self.relu(y + (x if self.downsample is None else self.downsample(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1, self.relu = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()
            cin = 16
            for i, (n, w) in enumerate(zip(layers, widths)):
                blocks = [Bottleneck(cin if j == 0 else 4 * w, w, 2 if j == 0 and i > 0 else 1) for j in range(n)]
                setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
                cin = 4 * w
            self.fc = nn.Linear(cin, 10)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            for i in range(len(layers)):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))

    torch.manual_seed(seed)
    net = Net()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, 0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    net.eval()
    mode = torch.onnx.TrainingMode.EVAL if fold else torch.onnx.TrainingMode.PRESERVE
    torch.onnx.export(net, (torch.zeros(1, 3, image, image),), path, opset_version=17, dynamo=False,
                      input_names=["input"], output_names=["output"], training=mode)
