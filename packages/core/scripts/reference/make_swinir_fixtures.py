"""Writes the PyTorch reference fixtures of SwinIR import (swinir-reference.test.ts).

Run with Debian's python3 and python3-torch (apt-get install -y python3-torch):

    /usr/bin/python3 packages/core/scripts/reference/make_swinir_fixtures.py test/fixtures
    pnpm exec biome format --write test/fixtures/torch-ref-swinir-manifest.json

The module below follows the official SwinIR code (JingyunLiang/SwinIR, models/network_swinir.py,
Apache-2.0) in structure, module names (hence state_dict keys) and forward pass, in eval mode
(dropout and drop-path are identities and are left out; they hold no weights). The real-world
'nearest+conv' upsampler also accepts x2 and x8, as spandrel's copy does. For each case it fills
the module with seeded random weights, saves `model.state_dict()` with torch.save, runs one
seeded input through it and writes:

    torch-ref-swinir-<case>.pth        the state_dict, as torch.save wrote it
    torch-ref-swinir-<case>.io.bin     the input then the output, float32 little-endian, NCHW
    torch-ref-swinir-manifest.json     per case: shapes and what detection must find

Sizes are tiny on purpose (windows of 4-8 px, a few blocks, 8-16 channels) so the fixtures stay
small and the test fast; they still cover every upsampler, both residual connections, odd window
sizes (7, shift 3), img_range 255, one-channel input and inputs that are not a multiple of the
window size (the reflect padding and the crop back).
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def window_partition(x, window_size):
    B, H, W, C = x.shape
    x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)


def window_reverse(windows, window_size, H, W):
    B = int(windows.shape[0] / (H * W / window_size / window_size))
    x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)


class WindowAttention(nn.Module):
    def __init__(self, dim, window_size, num_heads):
        super().__init__()
        self.dim = dim
        self.window_size = window_size  # (Wh, Ww)
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim**-0.5
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size[0] - 1) * (2 * window_size[1] - 1), num_heads)
        )
        coords_h = torch.arange(self.window_size[0])
        coords_w = torch.arange(self.window_size[1])
        coords = torch.stack(torch.meshgrid([coords_h, coords_w], indexing="ij"))
        coords_flatten = torch.flatten(coords, 1)
        relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
        relative_coords = relative_coords.permute(1, 2, 0).contiguous()
        relative_coords[:, :, 0] += self.window_size[0] - 1
        relative_coords[:, :, 1] += self.window_size[1] - 1
        relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
        relative_position_index = relative_coords.sum(-1)
        self.register_buffer("relative_position_index", relative_position_index)
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x, mask=None):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * self.scale
        attn = q @ k.transpose(-2, -1)
        relative_position_bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(
            self.window_size[0] * self.window_size[1], self.window_size[0] * self.window_size[1], -1
        )
        relative_position_bias = relative_position_bias.permute(2, 0, 1).contiguous()
        attn = attn + relative_position_bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.view(B_ // nW, nW, self.num_heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, N, N)
        attn = self.softmax(attn)
        x = (attn @ v).transpose(1, 2).reshape(B_, N, C)
        return self.proj(x)


class SwinTransformerBlock(nn.Module):
    def __init__(self, dim, input_resolution, num_heads, window_size, shift_size, mlp_ratio):
        super().__init__()
        self.dim = dim
        self.input_resolution = input_resolution
        self.num_heads = num_heads
        self.window_size = window_size
        self.shift_size = shift_size
        if min(self.input_resolution) <= self.window_size:
            self.shift_size = 0
            self.window_size = min(self.input_resolution)
        assert 0 <= self.shift_size < self.window_size
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, (self.window_size, self.window_size), num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        attn_mask = self.calculate_mask(self.input_resolution) if self.shift_size > 0 else None
        self.register_buffer("attn_mask", attn_mask)

    def calculate_mask(self, x_size):
        H, W = x_size
        img_mask = torch.zeros((1, H, W, 1))
        slices = (
            slice(0, -self.window_size),
            slice(-self.window_size, -self.shift_size),
            slice(-self.shift_size, None),
        )
        cnt = 0
        for h in slices:
            for w in slices:
                img_mask[:, h, w, :] = cnt
                cnt += 1
        mask_windows = window_partition(img_mask, self.window_size)
        mask_windows = mask_windows.view(-1, self.window_size * self.window_size)
        attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
        return attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))

    def forward(self, x, x_size):
        H, W = x_size
        B, L, C = x.shape
        shortcut = x
        x = self.norm1(x)
        x = x.view(B, H, W, C)
        if self.shift_size > 0:
            shifted_x = torch.roll(x, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
        else:
            shifted_x = x
        x_windows = window_partition(shifted_x, self.window_size)
        x_windows = x_windows.view(-1, self.window_size * self.window_size, C)
        if self.input_resolution == x_size:
            attn_windows = self.attn(x_windows, mask=self.attn_mask)
        else:
            mask = self.calculate_mask(x_size) if self.shift_size > 0 else None
            attn_windows = self.attn(x_windows, mask=mask)
        attn_windows = attn_windows.view(-1, self.window_size, self.window_size, C)
        shifted_x = window_reverse(attn_windows, self.window_size, H, W)
        if self.shift_size > 0:
            x = torch.roll(shifted_x, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
        else:
            x = shifted_x
        x = x.view(B, H * W, C)
        x = shortcut + x
        x = x + self.mlp(self.norm2(x))
        return x


class BasicLayer(nn.Module):
    def __init__(self, dim, input_resolution, depth, num_heads, window_size, mlp_ratio):
        super().__init__()
        self.blocks = nn.ModuleList(
            [
                SwinTransformerBlock(
                    dim, input_resolution, num_heads, window_size, 0 if (i % 2 == 0) else window_size // 2, mlp_ratio
                )
                for i in range(depth)
            ]
        )

    def forward(self, x, x_size):
        for blk in self.blocks:
            x = blk(x, x_size)
        return x


def patch_embed(x):
    return x.flatten(2).transpose(1, 2)  # B Ph*Pw C


def patch_unembed(x, x_size, dim):
    B, HW, C = x.shape
    return x.transpose(1, 2).view(B, dim, x_size[0], x_size[1])


def resi_conv(dim, resi_connection):
    if resi_connection == "1conv":
        return nn.Conv2d(dim, dim, 3, 1, 1)
    return nn.Sequential(
        nn.Conv2d(dim, dim // 4, 3, 1, 1),
        nn.LeakyReLU(negative_slope=0.2, inplace=True),
        nn.Conv2d(dim // 4, dim // 4, 1, 1, 0),
        nn.LeakyReLU(negative_slope=0.2, inplace=True),
        nn.Conv2d(dim // 4, dim, 3, 1, 1),
    )


class RSTB(nn.Module):
    def __init__(self, dim, input_resolution, depth, num_heads, window_size, mlp_ratio, resi_connection):
        super().__init__()
        self.dim = dim
        self.residual_group = BasicLayer(dim, input_resolution, depth, num_heads, window_size, mlp_ratio)
        self.conv = resi_conv(dim, resi_connection)

    def forward(self, x, x_size):
        return patch_embed(self.conv(patch_unembed(self.residual_group(x, x_size), x_size, self.dim))) + x


class PatchEmbedNorm(nn.Module):
    # The official PatchEmbed with patch_norm=True: flatten, then LayerNorm (key patch_embed.norm).
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(patch_embed(x))


class Upsample(nn.Sequential):
    def __init__(self, scale, num_feat):
        m = []
        if (scale & (scale - 1)) == 0:
            for _ in range(int(math.log(scale, 2))):
                m.append(nn.Conv2d(num_feat, 4 * num_feat, 3, 1, 1))
                m.append(nn.PixelShuffle(2))
        elif scale == 3:
            m.append(nn.Conv2d(num_feat, 9 * num_feat, 3, 1, 1))
            m.append(nn.PixelShuffle(3))
        else:
            raise ValueError(f"scale {scale} is not supported")
        super().__init__(*m)


class UpsampleOneStep(nn.Sequential):
    def __init__(self, scale, num_feat, num_out_ch):
        super().__init__(nn.Conv2d(num_feat, (scale**2) * num_out_ch, 3, 1, 1), nn.PixelShuffle(scale))


class SwinIR(nn.Module):
    def __init__(self, img_size=64, in_chans=3, embed_dim=96, depths=(6, 6, 6, 6), num_heads=(6, 6, 6, 6),
                 window_size=7, mlp_ratio=4.0, upscale=2, img_range=1.0, upsampler="", resi_connection="1conv",
                 num_feat=64):
        super().__init__()
        num_in_ch = in_chans
        num_out_ch = in_chans
        self.img_range = img_range
        if in_chans == 3:
            self.mean = torch.Tensor((0.4488, 0.4371, 0.4040)).view(1, 3, 1, 1)
        else:
            self.mean = torch.zeros(1, 1, 1, 1)
        self.upscale = upscale
        self.upsampler = upsampler
        self.window_size = window_size
        self.embed_dim = embed_dim
        self.conv_first = nn.Conv2d(num_in_ch, embed_dim, 3, 1, 1)
        self.patch_embed = PatchEmbedNorm(embed_dim)
        resolution = (img_size, img_size)
        self.layers = nn.ModuleList(
            [
                RSTB(embed_dim, resolution, depths[i], num_heads[i], window_size, mlp_ratio, resi_connection)
                for i in range(len(depths))
            ]
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.conv_after_body = resi_conv(embed_dim, resi_connection)
        if upsampler == "pixelshuffle":
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed_dim, num_feat, 3, 1, 1), nn.LeakyReLU(inplace=True))
            self.upsample = Upsample(upscale, num_feat)
            self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        elif upsampler == "pixelshuffledirect":
            self.upsample = UpsampleOneStep(upscale, embed_dim, num_out_ch)
        elif upsampler == "nearest+conv":
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed_dim, num_feat, 3, 1, 1), nn.LeakyReLU(inplace=True))
            self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            if upscale >= 4:
                self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            if upscale == 8:
                self.conv_up3 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
            self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)
        else:
            self.conv_last = nn.Conv2d(embed_dim, num_out_ch, 3, 1, 1)

    def check_image_size(self, x):
        _, _, h, w = x.size()
        mod_pad_h = (self.window_size - h % self.window_size) % self.window_size
        mod_pad_w = (self.window_size - w % self.window_size) % self.window_size
        return F.pad(x, (0, mod_pad_w, 0, mod_pad_h), "reflect")

    def forward_features(self, x):
        x_size = (x.shape[2], x.shape[3])
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x, x_size)
        x = self.norm(x)
        return patch_unembed(x, x_size, self.embed_dim)

    def forward(self, x):
        H, W = x.shape[2:]
        x = self.check_image_size(x)
        self.mean = self.mean.type_as(x)
        x = (x - self.mean) * self.img_range
        if self.upsampler == "pixelshuffle":
            x = self.conv_first(x)
            x = self.conv_after_body(self.forward_features(x)) + x
            x = self.conv_before_upsample(x)
            x = self.conv_last(self.upsample(x))
        elif self.upsampler == "pixelshuffledirect":
            x = self.conv_first(x)
            x = self.conv_after_body(self.forward_features(x)) + x
            x = self.upsample(x)
        elif self.upsampler == "nearest+conv":
            x = self.conv_first(x)
            x = self.conv_after_body(self.forward_features(x)) + x
            x = self.conv_before_upsample(x)
            x = self.lrelu(self.conv_up1(F.interpolate(x, scale_factor=2, mode="nearest")))
            if self.upscale >= 4:
                x = self.lrelu(self.conv_up2(F.interpolate(x, scale_factor=2, mode="nearest")))
            if self.upscale == 8:
                x = self.lrelu(self.conv_up3(F.interpolate(x, scale_factor=2, mode="nearest")))
            x = self.conv_last(self.lrelu(self.conv_hr(x)))
        else:
            x_first = self.conv_first(x)
            res = self.conv_after_body(self.forward_features(x_first)) + x_first
            x = x + self.conv_last(res)
        x = x / self.img_range + self.mean
        return x[:, :, : H * self.upscale, : W * self.upscale]


# --- The cases --------------------------------------------------------------------------------

CASES = [
    # name, module arguments, input (C, H, W), what detection must report
    ("classical-x2",
     dict(img_size=8, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4, mlp_ratio=2.0, upscale=2,
          upsampler="pixelshuffle", num_feat=8),
     (3, 12, 8),
     {"id": "swinir-x2-e16-d2x2-h2.4-w4-mlp32-s8-pixelshuffle-nf8", "scale": 2}),
    ("classical-x4",
     dict(img_size=16, embed_dim=12, depths=(2,), num_heads=(3,), window_size=8, mlp_ratio=2.0, upscale=4,
          upsampler="pixelshuffle", num_feat=8),
     (3, 16, 16),
     {"id": "swinir-x4-e12-d2x1-h3x1-w8-mlp24-s16-pixelshuffle-nf8", "scale": 4}),
    ("lightweight-x3",
     dict(img_size=8, embed_dim=12, depths=(2, 1), num_heads=(2, 2), window_size=4, mlp_ratio=1.5, upscale=3,
          upsampler="pixelshuffledirect"),
     (3, 10, 7),
     {"id": "swinir-x3-e12-d2.1-h2x2-w4-mlp18-s8-pixelshuffledirect", "scale": 3}),
    ("realworld-x4",
     dict(img_size=12, embed_dim=16, depths=(3,), num_heads=(2,), window_size=4, mlp_ratio=2.0, upscale=4,
          upsampler="nearest+conv", resi_connection="3conv", num_feat=8),
     (3, 8, 8),
     {"id": "swinir-x4-e16-d3x1-h2x1-w4-mlp32-s12-nearestconv-nf8-3conv", "scale": 4}),
    ("denoise-gray",
     dict(img_size=8, in_chans=1, embed_dim=8, depths=(2, 2), num_heads=(2, 2), window_size=4, mlp_ratio=4.0,
          upscale=1, upsampler=""),
     (1, 12, 10),
     {"id": "swinir-x1-e8-d2x2-h2x2-w4-mlp32-s8-none-ch1", "scale": 1}),
    ("jpeg-w7",
     dict(img_size=14, embed_dim=8, depths=(2,), num_heads=(2,), window_size=7, mlp_ratio=2.0, upscale=1,
          img_range=255.0, upsampler=""),
     (3, 9, 14),
     {"id": "swinir-x1-e8-d2x1-h2x1-w7-mlp16-s14-none-r255", "scale": 1}),
]


def randomise(model, generator):
    # Default init gives near-zero outputs; these weights keep activations of order 1 so that a
    # 1e-4 comparison means something: attention scores spread, the bias table and LayerNorm
    # affine parameters matter.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 4 or (p.dim() == 2 and not name.endswith("relative_position_bias_table")):
                fan_in = p[0].numel()
                p.copy_((torch.rand(p.shape, generator=generator) - 0.5) * 2 * math.sqrt(3.0 / fan_in))
            elif name.endswith("relative_position_bias_table"):
                p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
            elif "norm" in name and name.endswith(".weight"):
                p.copy_(0.8 + 0.4 * torch.rand(p.shape, generator=generator))
            else:
                p.copy_((torch.rand(p.shape, generator=generator) - 0.5) * 0.2)
        # The last convolution smaller, so that outputs lie roughly in 0..1 like an image's.
        last = "upsample.0." if model.upsampler == "pixelshuffledirect" else "conv_last."
        for name, p in model.named_parameters():
            if name.startswith(last):
                p.mul_(0.2)


def main(target):
    torch.manual_seed(0)
    manifest = {"torch": torch.__version__, "cases": []}
    for index, (name, args, (c, h, w), expect) in enumerate(CASES):
        generator = torch.Generator().manual_seed(2000 + index)
        model = SwinIR(**args).eval()
        randomise(model, generator)
        x = torch.rand((1, c, h, w), generator=generator)
        with torch.no_grad():
            y = model(x)
        torch.save(model.state_dict(), os.path.join(target, f"torch-ref-swinir-{name}.pth"))
        with open(os.path.join(target, f"torch-ref-swinir-{name}.io.bin"), "wb") as f:
            f.write(x.contiguous().numpy().astype("<f4").tobytes())
            f.write(y.contiguous().numpy().astype("<f4").tobytes())
        manifest["cases"].append({
            "name": f"swinir-{name}",
            "input": list(x.shape),
            "output": list(y.shape),
            "outputAbsMax": round(float(y.abs().max()), 4),
            "parameterCount": sum(p.numel() for p in model.parameters()),
            "expect": expect,
        })
        print(name, list(y.shape), "|y| max", float(y.abs().max()), "std", float(y.std()))
    manifest_file = os.path.join(target, "torch-ref-swinir-manifest.json")
    with open(manifest_file, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print("wrote", manifest_file, "- now run: pnpm exec biome format --write", manifest_file)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
