"""Writes the full-size ResNet-50 twin check: torchvision's resnet50 with fixed random weights
(BatchNorm statistics moved off their defaults), saved by torch.save, with an input batch and
torchvision's logits.

    /path/to/python benchmarks/resnet50_twin.py [FOLDER]    # needs torch, torchvision, safetensors
    DPL_RESNET50_TWIN=FOLDER swift test -c release --filter fullResNet50MatchesTorchvision

FOLDER (default /tmp/dpl-resnet50-twin) receives resnet50.pth (about 100 MB, so it is not
committed) and resnet50_reference.safetensors (`input` in [0, 1], 2×3×224×224, and `output`,
the logits of torchvision's model on the ImageNet-normalized input, as DPL's `resnet50`
normalizes itself). Tests/DPLNNTests/Models/ResNetTests.swift compares DPL's logits with them.
"""
import os
import sys

import torch
from safetensors.torch import save_file
from torchvision.models import resnet50

folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dpl-resnet50-twin"
os.makedirs(folder, exist_ok=True)
torch.manual_seed(0)
model = resnet50()
print("torchvision resnet50 parameters:", sum(p.numel() for p in model.parameters()))
with torch.no_grad():
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.uniform_(0.5, 1.5)
            module.bias.uniform_(-0.2, 0.2)
    model.train()
    for _ in range(2):
        model(torch.rand(4, 3, 64, 64))
model.eval()
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
x = torch.rand(2, 3, 224, 224)
with torch.no_grad():
    y = model((x - mean) / std)
torch.save(model.state_dict(), os.path.join(folder, "resnet50.pth"))
save_file({"input": x, "output": y}, os.path.join(folder, "resnet50_reference.safetensors"))
print("logits range", y.min().item(), y.max().item(), "written to", folder)
