"""Writes the PyTorch checkpoints that DPL's native checkpoint reader is tested on.

    /path/to/python Tests/Fixtures/make_pytorch_fixtures.py   # needs torch, torchvision, safetensors

Every `.pt` file here is written by a real `torch.save` (torch 2.x), except the two
`malicious_*.pt` files, which are hand-built the way an attacker would build them. The files
are committed, so the Swift tests need no Python. Written into Tests/Fixtures/pytorch/:

- tensors.pt / tensors_legacy.pt: one state_dict in the zip format and in the legacy format
  (`_use_new_zipfile_serialization=False`) with float32, float64, float16, bfloat16 and int64
  tensors, a 0-d tensor, an empty tensor, a transposed view and a sliced view (non-contiguous,
  with a storage offset) sharing the storage of another entry; tensors_expected.safetensors
  holds the same values as contiguous float32, for comparison.
- resnet_tiny*.pt: torchvision's ResNet (its `Bottleneck` blocks, `_make_layer` and
  `forward`) with one block per stage and base width 4 instead of 64, 5 classes, BatchNorm
  statistics moved off their defaults, saved as
    resnet_tiny.pt              a plain state_dict
    resnet_tiny_wrapped.pt      {"model": state_dict, "optimizer": SGD state, "epoch": 3}
    resnet_tiny_dataparallel.pt nn.DataParallel's state_dict (`module.` prefixes), without
                                the `num_batches_tracked` counters (as PyTorch < 0.4.1 saved)
    resnet_tiny_score_sde.pt    score_sde_pytorch's checkpoint layout (utils.save_checkpoint:
                                optimizer, model, ema = ExponentialMovingAverage.state_dict()
                                {decay, num_updates, shadow_params}, step), where the shadow
                                parameters differ from the model's
  resnet_tiny_reference.safetensors holds an input batch (`input`, in [0, 1]) and torchvision's
  logits for the plain weights (`output`) and for the EMA weights (`output.ema`), both with
  ImageNet normalization applied first, as DPL's `resnet` does.
- whole_module.pt: torch.save(nn.Linear(2, 2)), a pickled module instead of a state_dict.
- malicious_os_system.pt, malicious_eval_legacy.pt: hand-built pickles that would run
  os.system / eval when unpickled by Python (they write /tmp/dpl-pwned).
"""
import io
import os
import pickle
import zipfile

import torch
import torch.nn as nn
from safetensors.torch import save_file
from torchvision.models.resnet import Bottleneck, ResNet

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch")
os.makedirs(here, exist_ok=True)
torch.manual_seed(0)

# ---------------------------------------------------------------- tensors of every kind
w = torch.randn(3, 4)
sd = {
    "f32": w,
    "f64": torch.randn(2, 3, dtype=torch.float64),
    "f16": torch.randn(5).half(),
    "bf16": torch.randn(2, 2).bfloat16(),
    "i64": torch.tensor([7, -3, 1 << 20], dtype=torch.int64),
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(0, 3),
    "transposed": w.t(),            # shares w's storage, strides (1, 4)
    "sliced": w[1:, 1:3],           # shares w's storage, offset 5, strides (4, 1)
}
assert sd["transposed"].untyped_storage().data_ptr() == w.untyped_storage().data_ptr()
torch.save(sd, os.path.join(here, "tensors.pt"))
torch.save(sd, os.path.join(here, "tensors_legacy.pt"), _use_new_zipfile_serialization=False)
save_file({k: v.float().contiguous() for k, v in sd.items()}, os.path.join(here, "tensors_expected.safetensors"))


# ---------------------------------------------------------------- a tiny torchvision ResNet
class TinyResNet(ResNet):
    """torchvision's ResNet with base width `width` instead of 64 (torchvision hard-codes 64
    in __init__); everything else — Bottleneck, _make_layer, forward — is torchvision's."""

    def __init__(self, layers, width, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(Bottleneck, width, layers[0])
        self.layer2 = self._make_layer(Bottleneck, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(Bottleneck, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(Bottleneck, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * Bottleneck.expansion, num_classes)


def perturb_batchnorm(model, batches=3, size=32):
    """Moves BatchNorm's affine parameters and running statistics off their defaults."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
        model.train()
        for _ in range(batches):
            model(torch.rand(4, 3, size, size))
    model.eval()


mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

tiny = TinyResNet([1, 1, 1, 1], width=4, num_classes=5)
perturb_batchnorm(tiny)
x = torch.rand(2, 3, 32, 32)
with torch.no_grad():
    y = tiny((x - mean) / std)
state = {k: v.clone() for k, v in tiny.state_dict().items()}
torch.save(state, os.path.join(here, "resnet_tiny.pt"))

optimizer = torch.optim.SGD(tiny.parameters(), lr=0.1)
tiny((x - mean) / std).sum().backward()
optimizer.step()                                   # gives the optimizer state to save
tiny.load_state_dict(state)                        # and puts the weights back
torch.save({"model": tiny.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
           os.path.join(here, "resnet_tiny_wrapped.pt"))

parallel = nn.DataParallel(tiny).state_dict()
assert all(k.startswith("module.") for k in parallel)
torch.save({k: v for k, v in parallel.items() if not k.endswith("num_batches_tracked")},
           os.path.join(here, "resnet_tiny_dataparallel.pt"))

# score_sde_pytorch (yang-song/score_sde_pytorch@cb1f359, utils.py save_checkpoint and
# models/ema.py state_dict): the model is wrapped in DataParallel there.
shadow = [p.detach().clone() + 0.05 * torch.randn_like(p) for p in tiny.parameters()]
torch.save({"optimizer": optimizer.state_dict(), "model": parallel,
            "ema": {"decay": 0.9999, "num_updates": 1200, "shadow_params": shadow}, "step": 1200},
           os.path.join(here, "resnet_tiny_score_sde.pt"))
with torch.no_grad():
    for p, s in zip(tiny.parameters(), shadow):
        p.copy_(s)
    y_ema = tiny((x - mean) / std)
save_file({"input": x, "output": y, "output.ema": y_ema}, os.path.join(here, "resnet_tiny_reference.safetensors"))


# A whole module rather than its state_dict: the pickle names the module's class, which DPL
# refuses like any global outside its allowlist (it would have to import and build it).
torch.save(nn.Linear(2, 2), os.path.join(here, "whole_module.pt"))

# ---------------------------------------------------------------- malicious checkpoints
class Payload:
    """What an attacker pickles: unpickling calls os.system (or eval) with the argument."""

    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return (self.function, (self.argument,))


def zip_checkpoint(path, pickled):
    """A zip laid out like torch.save's, with `pickled` as its data.pkl (stored, uncompressed)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("malicious/data.pkl", pickled)
        archive.writestr("malicious/byteorder", "little")
        archive.writestr("malicious/version", "3\n")


# {"weight": os.system("touch /tmp/dpl-pwned")}: GLOBAL 'posix system' (os.system's real name).
zip_checkpoint(os.path.join(here, "malicious_os_system.pt"),
               pickle.dumps({"weight": Payload(os.system, "touch /tmp/dpl-pwned")}, protocol=2))
# The legacy layout with builtins.eval in the main pickle, after a valid magic, version and sys_info.
legacy = io.BytesIO()
for part in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
    pickle.dump(part, legacy, protocol=2)
pickle.dump({"weight": Payload(eval, "__import__('os').system('touch /tmp/dpl-pwned')")}, legacy, protocol=2)
with open(os.path.join(here, "malicious_eval_legacy.pt"), "wb") as f:
    f.write(legacy.getvalue())

for name in sorted(os.listdir(here)):
    print(f"{os.path.getsize(os.path.join(here, name)):>8}  {name}")
