"""PyTorch twins of DPL's built-in architectures (Sources/DPLNN/Models).

Same layers, same parameter names and layouts, so a state_dict saved with
`safetensors.torch.save_file(model.state_dict(), path)` loads into DPL unchanged, and so the
benchmarks compare the same work. Used only by the scripts in benchmarks/.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class CNNClassifier(nn.Module):
    """cnn-small: conv3x3(1->32)-ReLU-conv3x3(32->64)-ReLU-pool-conv3x3(64->128)-ReLU-pool-fc(6272->256)-ReLU-fc(256->10)."""

    def __init__(self, input_channels=1, image_size=28, widths=(32, 64, 128),
                 pool_after=(False, True, True), hidden=256, classes=10):
        super().__init__()
        self.pool_after = list(pool_after)
        channels, size = input_channels, image_size
        for i, width in enumerate(widths):
            setattr(self, f"conv{i + 1}", nn.Conv2d(channels, width, 3, padding=1))
            channels = width
        self.n_convs = len(widths)
        for pool in pool_after:
            if pool:
                size //= 2
        self.fc1 = nn.Linear(channels * size * size, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        for i in range(self.n_convs):
            x = F.relu(getattr(self, f"conv{i + 1}")(x))
            if self.pool_after[i]:
                x = F.max_pool2d(x, 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def sinusoidal_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / (half - 1))
    angles = t.double()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1).float()


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, time_width, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_proj = nn.Linear(time_width, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, activated_time):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_proj(activated_time)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class DownLevel(nn.Module):
    def __init__(self, block, downsample):
        super().__init__()
        self.block = block
        self.downsample = downsample


class UpLevel(nn.Module):
    def __init__(self, block, upsample):
        super().__init__()
        self.block = block
        self.upsample = upsample


class TimeEmbedding(nn.Module):
    def __init__(self, embedding_width, time_width):
        super().__init__()
        self.linear1 = nn.Linear(embedding_width, time_width)
        self.linear2 = nn.Linear(time_width, time_width)


class UNet(nn.Module):
    """unet-tiny: see Sources/DPLNN/Models/UNet.swift for the architecture."""

    def __init__(self, image_channels=1, image_size=28, base_width=32, channel_multipliers=(1, 2, 2),
                 time_embedding_width=64, time_width=128, groups=8):
        super().__init__()
        widths = [m * base_width for m in channel_multipliers]
        self.time_embedding_width = time_embedding_width
        self.stem = nn.Conv2d(image_channels, base_width, 3, padding=1)
        self.time_embed = TimeEmbedding(time_embedding_width, time_width)
        self.down = nn.ModuleList()
        channels = base_width
        for level, width in enumerate(widths):
            block = ResidualBlock(channels, width, time_width, groups)
            channels = width
            downsample = nn.Conv2d(width, width, 3, stride=2, padding=1) if level < len(widths) - 1 else None
            self.down.append(DownLevel(block, downsample))
        self.mid = ResidualBlock(channels, channels, time_width, groups)
        ups = [None] * len(widths)
        for level in reversed(range(len(widths))):
            width = widths[level]
            block = ResidualBlock(channels + width, width, time_width, groups)
            channels = width
            upsample = nn.Conv2d(width, width, 3, padding=1) if level > 0 else None
            ups[level] = UpLevel(block, upsample)
        self.up = nn.ModuleList(ups)
        self.out_norm = nn.GroupNorm(groups, channels)
        self.out_conv = nn.Conv2d(channels, image_channels, 3, padding=1)

    def forward(self, x, timesteps):
        emb = sinusoidal_embedding(timesteps, self.time_embedding_width)
        temb = self.time_embed.linear2(F.silu(self.time_embed.linear1(emb)))
        activated = F.silu(temb)
        h = self.stem(x)
        skips = []
        for level in self.down:
            h = level.block(h, activated)
            skips.append(h)
            if level.downsample is not None:
                h = level.downsample(h)
        h = self.mid(h, activated)
        for i in reversed(range(len(self.up))):
            level = self.up[i]
            h = level.block(torch.cat([h, skips[i]], dim=1), activated)
            if level.upsample is not None:
                h = level.upsample(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.out_conv(F.silu(self.out_norm(h)))


class WideResNetBlock(nn.Module):
    """Pre-activation basic block; the 1x1 shortcut (of the pre-activated input) exists when the width changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.convShortcut = None if cin == cout else nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    def forward(self, x):
        activated = F.relu(self.bn1(x))
        h = self.conv2(F.relu(self.bn2(self.conv1(activated))))
        return (x if self.convShortcut is None else self.convShortcut(activated)) + h


class WideResNetGroup(nn.Module):
    def __init__(self, blocks, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WideResNetBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1)
                                     for i in range(blocks)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    """wrn-DEPTH-K (depth 6n+4): conv3x3(->16), groups of n blocks at 16k/32k/64k (strides 1, 2, 2),
    BN-ReLU-global average pool-fc. Names as RobustBench's WideResNet, so its checkpoints load."""

    def __init__(self, depth=28, widen_factor=10, input_channels=3, classes=10):
        super().__init__()
        assert (depth - 4) % 6 == 0
        n = (depth - 4) // 6
        widths = [16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.conv1 = nn.Conv2d(input_channels, 16, 3, padding=1, bias=False)
        self.block1 = WideResNetGroup(n, 16, widths[0], 1)
        self.block2 = WideResNetGroup(n, widths[0], widths[1], 2)
        self.block3 = WideResNetGroup(n, widths[1], widths[2], 2)
        self.bn1 = nn.BatchNorm2d(widths[2])
        self.fc = nn.Linear(widths[2], classes)

    def forward(self, x):
        h = self.block3(self.block2(self.block1(self.conv1(x))))
        h = F.relu(self.bn1(h))
        return self.fc(h.mean(dim=(2, 3)))


if __name__ == "__main__":
    for name, model in [("cnn-small", CNNClassifier()), ("unet-tiny", UNet()),
                        ("unet (base 64)", UNet(base_width=64)),
                        ("wrn-28-10", WideResNet(28, 10)), ("wrn-16-4", WideResNet(16, 4))]:
        print(name, sum(p.numel() for p in model.parameters()), "parameters")
