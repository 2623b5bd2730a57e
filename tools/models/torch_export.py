#!/usr/bin/env python3
"""Real PyTorch exports of torchvision-equivalent ResNet-18/50 (needs torch; torchvision not required).

The model is defined here in plain torch with torchvision's module names (conv1, bn1, relu, maxpool,
layer1.0.conv1, layer1.0.downsample.0, fc, ...), so the exported node/initializer names are exactly
what torchvision models produce.  Weights: seeded He-normal convs, random BN affine, BN running
statistics set from one train-mode forward pass on a random batch.  Exporters: the legacy
TorchScript exporter (opset 11/13/17, with/without do_constant_folding) and, when onnxscript is
importable, the dynamo exporter (opset 18).

    python3 tools/models/torch_export.py resnet18 OUT.onnx [--opset 17] [--no-fold] [--dynamo]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_builder import ARCHS, analytic_counts  # noqa: E402


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int, downsample: nn.Module | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int, downsample: nn.Module | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet(nn.Module):
    """torchvision.models.ResNet (groups=1, width_per_group=64) with the same attribute names."""

    def __init__(self, block: type, layers: tuple[int, ...], num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block: type, planes: int, n: int, stride: int) -> nn.Sequential:
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                 nn.BatchNorm2d(planes * block.expansion))
        blocks = [block(self.inplanes, planes, stride, down)]
        self.inplanes = planes * block.expansion
        blocks += [block(self.inplanes, planes, 1, None) for _ in range(1, n)]
        return nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


TORCH_ARCHS = {"resnet18": (BasicBlock, (2, 2, 2, 2)), "resnet50": (Bottleneck, (3, 4, 6, 3))}


def make_model(arch: str, seed: int) -> nn.Module:
    """Seeded, BN-calibrated model in eval mode."""
    torch.manual_seed(seed)
    block, layers = TORCH_ARCHS[arch]
    model = ResNet(block, layers)
    last_bn = {"bn2"} if block is BasicBlock else {"bn3"}
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                scale = 0.5 if name.rsplit(".", 1)[-1] in last_bn else 1.0
                m.weight.uniform_(0.5, 1.5).mul_(scale)
                m.bias.normal_(0, 0.1)
                m.momentum = None   # cumulative average: one batch sets the running stats
                m.reset_running_stats()
        model.train()
        model(torch.randn(4, 3, 224, 224, generator=torch.Generator().manual_seed(seed + 7919)))
    return model.eval()


def export(arch: str, path: str, opset: int = 17, fold: bool = True, seed: int = 0, dynamo: bool = False) -> dict:
    """Export one model to ``path``; returns analytic MACs/params and export facts."""
    model = make_model(arch, seed)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        if dynamo:
            torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["output"],
                              opset_version=opset, dynamo=True, external_data=False)
        else:
            torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["output"],
                              opset_version=opset, do_constant_folding=fold, dynamo=False)
    macs, params = analytic_counts(ARCHS[arch])
    n_params = sum(p.numel() for p in model.parameters())
    if n_params != params:
        raise RuntimeError(f"{arch}: torch has {n_params} parameters, analytic {params}")
    return {"macs": macs, "params": params, "torch_version": torch.__version__}


def dynamo_available() -> bool:
    return importlib.util.find_spec("onnxscript") is not None


def variants() -> list[tuple[str, str, int, bool, tuple[str, ...], bool]]:
    """(name, arch, opset, do_constant_folding, sets, dynamo) for gen_models."""
    out = []
    for op in (11, 13, 17):
        for fold in (True, False):
            out.append((f"torch_resnet18_op{op}{'' if fold else '_nofold'}", "resnet18", op, fold, ("test",), False))
    out.append(("torch_resnet50_op17", "resnet50", 17, True, ("test", "bench"), False))
    if dynamo_available():
        out.append(("torch_resnet18_op18_dynamo", "resnet18", 18, True, ("test",), True))
        out.append(("torch_resnet50_op18_dynamo", "resnet50", 18, True, ("all",), True))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("arch", choices=sorted(TORCH_ARCHS))
    ap.add_argument("out")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--no-fold", action="store_true")
    ap.add_argument("--dynamo", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(export(a.arch, a.out, a.opset, not a.no_fold, a.seed, a.dynamo))
