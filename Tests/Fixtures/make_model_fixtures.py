"""Writes the PyTorch reference outputs that DPLNN's model tests compare against.

    python Tests/Fixtures/make_model_fixtures.py    # needs torch and safetensors

For a small configuration of each architecture it saves, in one safetensors file, the
PyTorch-initialized weights under their state_dict names, an input batch (`input.x`,
`input.t` for the U-Net) and PyTorch's output (`output`); the metadata holds the
configuration. The files are committed, so the tests need no Python.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
from torch_reference_models import CNNClassifier, UNet, WideResNet  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

cnn_config = dict(input_channels=2, image_size=8, widths=[4, 6, 8], pool_after=[False, True, True], hidden=16, classes=5)
cnn = CNNClassifier(**cnn_config)
x = torch.rand(3, 2, 8, 8)
with torch.no_grad():
    y = cnn(x)
tensors = {k: v.contiguous() for k, v in cnn.state_dict().items()}
tensors["input.x"] = x
tensors["output"] = y
save_file(tensors, os.path.join(here, "cnn_reference.safetensors"), metadata={"config": json.dumps(cnn_config)})

unet_config = dict(image_channels=1, image_size=8, base_width=8, channel_multipliers=[1, 2, 2],
                   time_embedding_width=16, time_width=32, groups=4)
unet = UNet(**unet_config)
x = torch.randn(2, 1, 8, 8)
t = torch.tensor([3.0, 517.5])
with torch.no_grad():
    y = unet(x, t)
tensors = {k: v.contiguous() for k, v in unet.state_dict().items()}
tensors["input.x"] = x
tensors["input.t"] = t
tensors["output"] = y
save_file(tensors, os.path.join(here, "unet_reference.safetensors"), metadata={"config": json.dumps(unet_config)})
# WideResNet: depth 10 (one block per group), k = 1, so group 1 keeps its width (identity
# shortcut) and groups 2 and 3 change it (1x1 shortcuts). BatchNorm's affine parameters and
# running statistics are moved off their defaults (a few training-mode passes) so that
# evaluation mode is tested with non-trivial statistics; `output` is evaluation mode and
# `output.train` the training-mode (batch statistics) logits of the saved weights.
wrn_config = dict(depth=10, widen_factor=1, input_channels=3, classes=5)
wrn = WideResNet(**wrn_config)
with torch.no_grad():
    for module in wrn.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.uniform_(0.5, 1.5)
            module.bias.uniform_(-0.5, 0.5)
    wrn.train()
    for _ in range(3):
        wrn(torch.randn(4, 3, 8, 8) * 0.5 + 0.3)
tensors = {k: v.clone().contiguous() for k, v in wrn.state_dict().items()}  # a copy: the training-mode pass below updates the buffers in place
x = torch.rand(3, 3, 8, 8)
with torch.no_grad():
    wrn.eval()
    y = wrn(x)
    wrn.train()
    y_train = wrn(x)
tensors["input.x"] = x
tensors["output"] = y
tensors["output.train"] = y_train
save_file(tensors, os.path.join(here, "wrn_reference.safetensors"), metadata={"config": json.dumps(dict(wrn_config, image_size=8))})
print("wrote", sorted(os.listdir(here)))
