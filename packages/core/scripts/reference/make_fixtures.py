"""Writes the PyTorch reference fixtures of the architecture detection tests.

Run with Debian's python3 and python3-torch (apt-get install -y python3-torch):

    /usr/bin/python3 packages/core/scripts/reference/make_fixtures.py test/fixtures

For each case it builds the PyTorch module (defined below, following basicsr's
rrdbnet_arch.py / srvgg_arch.py, the original ESRGAN RRDBNet_arch.py, SPAN as spandrel loads it
and the OCTA U-Net with or without BatchNorm), fills it with seeded random weights, saves
`model.state_dict()` with torch.save (the zip format every .pth in the wild uses since PyTorch
1.6; some cases in float16 / bfloat16, inside a checkpoint dict, or with DataParallel's prefix),
runs one seeded input through it and writes the input and the output. Files, all in the target
folder:

    torch-ref-<case>.pth       the state_dict, as torch.save wrote it
    torch-ref-<case>.io.bin    the input then the output, float32 little-endian, NCHW (the
                               output alone for cases with a generated input, see generated_input)
    torch-ref-manifest.json    per case: shapes and what detection must find
    torch-real-*.pth / .pt     the reader's own real files (see write_containers)

The test suite reads these files and needs no Python. Sizes are tiny on purpose (a few KB per
case) so the fixtures stay small and the tests fast.
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


# --- RRDBNet, BasicSR layout (basicsr/archs/rrdbnet_arch.py, plus conv_up3 for x8) -------------


class ResidualDenseBlock(nn.Module):
    def __init__(self, num_feat, num_grow_ch):
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_grow_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv4 = nn.Conv2d(num_feat + 3 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, num_feat, num_grow_ch):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x):
        out = self.rdb3(self.rdb2(self.rdb1(x)))
        return out * 0.2 + x


class RRDBNet(nn.Module):
    def __init__(self, num_in_ch, num_out_ch, scale, num_feat, num_block, num_grow_ch):
        super().__init__()
        self.scale = scale
        self.unshuffle = {1: 4, 2: 2}.get(scale, 1)
        self.upsamples = 3 if scale == 8 else 2
        self.conv_first = nn.Conv2d(num_in_ch * self.unshuffle**2, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        if self.upsamples == 3:
            self.conv_up3 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        feat = F.pixel_unshuffle(x, self.unshuffle) if self.unshuffle > 1 else x
        feat = self.conv_first(feat)
        feat = feat + self.conv_body(self.body(feat))
        for u in range(1, self.upsamples + 1):
            conv = getattr(self, f"conv_up{u}")
            feat = self.lrelu(conv(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))


# --- RRDBNet, original ESRGAN layout (xinntao/ESRGAN RRDBNet_arch.py "old arch") --------------
# One flattened nn.Sequential: model.0 conv, model.1 = ShortcutBlock(sub), then per upsampling
# (Upsample, conv, LeakyReLU), then conv_hr, LeakyReLU, conv_last. RDB convs are Sequential.


def conv_block(cin, cout, act):
    layers = [nn.Conv2d(cin, cout, 3, 1, 1)]
    if act:
        layers.append(nn.LeakyReLU(0.2, True))
    return nn.Sequential(*layers)


class OldRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.conv1 = conv_block(nf, gc, True)
        self.conv2 = conv_block(nf + gc, gc, True)
        self.conv3 = conv_block(nf + 2 * gc, gc, True)
        self.conv4 = conv_block(nf + 3 * gc, gc, True)
        self.conv5 = conv_block(nf + 4 * gc, nf, False)

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv2(torch.cat((x, x1), 1))
        x3 = self.conv3(torch.cat((x, x1, x2), 1))
        x4 = self.conv4(torch.cat((x, x1, x2, x3), 1))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5.mul(0.2) + x


class OldRRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.RDB1 = OldRDB(nf, gc)
        self.RDB2 = OldRDB(nf, gc)
        self.RDB3 = OldRDB(nf, gc)

    def forward(self, x):
        return self.RDB3(self.RDB2(self.RDB1(x))).mul(0.2) + x


class ShortcutBlock(nn.Module):
    def __init__(self, sub):
        super().__init__()
        self.sub = sub

    def forward(self, x):
        return x + self.sub(x)


class OldRRDBNet(nn.Module):
    def __init__(self, in_nc, out_nc, nf, nb, gc, upscale):
        super().__init__()
        sub = nn.Sequential(*[OldRRDB(nf, gc) for _ in range(nb)], nn.Conv2d(nf, nf, 3, 1, 1))
        layers = [nn.Conv2d(in_nc, nf, 3, 1, 1), ShortcutBlock(sub)]
        for _ in range(int(math.log2(upscale))):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(nf, nf, 3, 1, 1), nn.LeakyReLU(0.2, True)]
        layers += [nn.Conv2d(nf, nf, 3, 1, 1), nn.LeakyReLU(0.2, True), nn.Conv2d(nf, out_nc, 3, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


# --- SRVGGNetCompact (basicsr/archs/srvgg_arch.py) ---------------------------------------------


class SRVGGNetCompact(nn.Module):
    def __init__(self, num_in_ch, num_out_ch, num_feat, num_conv, upscale, act_type):
        super().__init__()
        self.upscale = upscale

        def act():
            if act_type == "relu":
                return nn.ReLU(inplace=True)
            if act_type == "prelu":
                return nn.PReLU(num_parameters=num_feat)
            return nn.LeakyReLU(negative_slope=0.1, inplace=True)

        body = [nn.Conv2d(num_in_ch, num_feat, 3, 1, 1), act()]
        for _ in range(num_conv):
            body += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), act()]
        body.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.body = nn.ModuleList(body)
        self.upsampler = nn.PixelShuffle(upscale)

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = self.upsampler(out)
        return out + F.interpolate(x, scale_factor=self.upscale, mode="nearest")


# --- SPAN (Swift Parameter-free Attention Network, hongyuanyu/SPAN, as spandrel loads it) -------
# Every 3x3 convolution is a Conv3XC: it trains as 1x1 -> 3x3 -> 1x1 plus a 1x1 skip and evaluates
# as one 3x3 `eval_conv` whose weights it recomputes from those on every eval-mode forward, so the
# `eval_conv` tensors stored in a file do not take part in PyTorch's output.


class Conv3XC(nn.Module):
    def __init__(self, c_in, c_out, gain=2):
        super().__init__()
        self.sk = nn.Conv2d(c_in, c_out, 1)
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, c_in * gain, 1),
            nn.Conv2d(c_in * gain, c_out * gain, 3),
            nn.Conv2d(c_out * gain, c_out, 1),
        )
        self.eval_conv = nn.Conv2d(c_in, c_out, 3, padding=1)

    def fused(self):
        # SPAN's update_params: compose the three convolutions, then add the padded skip.
        w1, b1 = self.conv[0].weight, self.conv[0].bias
        w2, b2 = self.conv[1].weight, self.conv[1].bias
        w3, b3 = self.conv[2].weight, self.conv[2].bias
        w = F.conv2d(w1.flip(2, 3).permute(1, 0, 2, 3), w2, padding=2).flip(2, 3).permute(1, 0, 2, 3)
        b = (w2 * b1.reshape(1, -1, 1, 1)).sum((1, 2, 3)) + b2
        weight = F.conv2d(w.flip(2, 3).permute(1, 0, 2, 3), w3).flip(2, 3).permute(1, 0, 2, 3)
        bias = (w3 * b.reshape(1, -1, 1, 1)).sum((1, 2, 3)) + b3
        return weight + F.pad(self.sk.weight, [1, 1, 1, 1]), bias + self.sk.bias

    def forward(self, x):
        if self.training:
            return self.conv(F.pad(x, (1, 1, 1, 1))) + self.sk(x)
        weight, bias = self.fused()
        return F.conv2d(x, weight, bias, padding=1)


class SPAB(nn.Module):
    def __init__(self, feat):
        super().__init__()
        self.c1_r = Conv3XC(feat, feat)
        self.c2_r = Conv3XC(feat, feat)
        self.c3_r = Conv3XC(feat, feat)

    def forward(self, x):
        out1 = self.c1_r(x)
        out2 = self.c2_r(F.silu(out1))
        out3 = self.c3_r(F.silu(out2))
        sim_att = torch.sigmoid(out3) - 0.5
        return (out3 + x) * sim_att, out1


class SPAN(nn.Module):
    def __init__(self, num_in_ch, num_out_ch, feature_channels, upscale, norm=True):
        super().__init__()
        self.img_range = 255.0
        self.mean = torch.tensor([0.4488, 0.4371, 0.4040]).view(1, 3, 1, 1)
        if not norm:
            self.register_buffer("no_norm", torch.zeros(1))
        self.norm = norm
        self.conv_1 = Conv3XC(num_in_ch, feature_channels)
        for k in range(1, 7):
            setattr(self, f"block_{k}", SPAB(feature_channels))
        self.conv_cat = nn.Conv2d(feature_channels * 4, feature_channels, 1)
        self.conv_2 = Conv3XC(feature_channels, feature_channels)
        self.upsampler = nn.Sequential(
            nn.Conv2d(feature_channels, num_out_ch * upscale * upscale, 3, padding=1),
            nn.PixelShuffle(upscale),
        )

    def forward(self, x):
        if self.norm:
            x = (x - self.mean) * self.img_range
        out_feature = self.conv_1(x)
        out, out_b1 = self.block_1(out_feature)
        b1 = out
        for k in range(2, 6):
            out, _ = getattr(self, f"block_{k}")(out)
        out_b6, out_b6_1 = self.block_6(out)
        out_b6 = self.conv_2(out_b6)
        out = self.conv_cat(torch.cat([out_feature, out_b6, b1, out_b6_1], 1))
        return self.upsampler(out)


# --- U-Net, the OCTA segmentation layout, with or without BatchNorm ----------------------------


def unet_block(cin, cout, bn):
    if bn:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        )
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, in_channels, out_channels, base, depth, bn=True):
        super().__init__()
        self.depth = depth
        width = [base * 2**level for level in range(depth + 1)]
        for level in range(depth):
            setattr(self, f"enc{level + 1}", unet_block(in_channels if level == 0 else width[level - 1], width[level], bn))
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = unet_block(width[depth - 1], width[depth], bn)
        for level in range(depth, 0, -1):
            setattr(self, f"upconv{level}", nn.ConvTranspose2d(width[level], width[level - 1], 2, stride=2))
            setattr(self, f"dec{level}", unet_block(width[level], width[level - 1], bn))
        self.final_conv = nn.Conv2d(base, out_channels, 1)

    def forward(self, x):
        skips = []
        for level in range(1, self.depth + 1):
            x = getattr(self, f"enc{level}")(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for level in range(self.depth, 0, -1):
            up = getattr(self, f"upconv{level}")(x)
            x = getattr(self, f"dec{level}")(torch.cat([up, skips[level - 1]], 1))
        return self.final_conv(x)


# --- The cases --------------------------------------------------------------------------------

CASES = [
    # name, module factory, input (C, H, W), what detection must report (scale: super-resolution)
    ("rrdb-x4", lambda: RRDBNet(3, 3, 4, 8, 1, 4), (3, 8, 8),
     {"id": "rrdbnet-x4-nf8-nb1-gc4", "scale": 4}),
    ("rrdb-x2", lambda: RRDBNet(3, 3, 2, 12, 1, 2), (3, 8, 8),
     {"id": "rrdbnet-x2-nf12-nb1-gc2", "scale": 2}),
    ("rrdb-x1", lambda: RRDBNet(3, 3, 1, 8, 1, 2), (3, 8, 8),
     {"id": "rrdbnet-x1-nf8-nb1-gc2", "scale": 1}),
    ("rrdb-x8", lambda: RRDBNet(3, 3, 8, 8, 1, 2), (3, 4, 4),
     {"id": "rrdbnet-x8-nf8-nb1-gc2", "scale": 8}),
    ("esrgan-x4", lambda: OldRRDBNet(3, 3, 8, 2, 2, 4), (3, 6, 6),
     {"id": "rrdbnet-x4-nf8-nb2-gc2-esrgan", "scale": 4}),
    ("srvgg-x4-prelu", lambda: SRVGGNetCompact(3, 3, 8, 2, 4, "prelu"), (3, 8, 8),
     {"id": "srvgg-x4-nf8-nc2", "scale": 4}),
    ("srvgg-x2-prelu", lambda: SRVGGNetCompact(3, 3, 12, 2, 2, "prelu"), (3, 8, 8),
     {"id": "srvgg-x2-nf12-nc2", "scale": 2}),
    ("srvgg-x3-relu", lambda: SRVGGNetCompact(3, 3, 8, 1, 3, "relu"), (3, 8, 8),
     {"id": "srvgg-x3-nf8-nc1-relu", "scale": 3}),
    ("span-x4-norm", lambda: SPAN(3, 3, 6, 4), (3, 8, 8),
     {"id": "span-x4-nf6", "scale": 4}),
    ("span-x2-nonorm", lambda: SPAN(3, 3, 4, 2, norm=False), (3, 10, 8),
     {"id": "span-x2-nf4-nonorm", "scale": 2}),
    ("span-x1-gray-nonorm", lambda: SPAN(1, 1, 4, 1, norm=False), (1, 8, 8),
     {"id": "span-x1-nf4-in1-out1-nonorm", "scale": 1}),
    ("span-x3-norm", lambda: SPAN(3, 3, 5, 3), (3, 6, 6),
     {"id": "span-x3-nf5", "scale": 3}),
    # The U-Net's input is fixed at 256x256 (the OCTA contract): its input is not stored but
    # generated (see generated_input), which keeps these fixtures small.
    ("unet-bn-d2-b4", lambda: UNet(1, 1, 4, 2, bn=True), (1, 256, 256),
     {"id": "unet-d2-b4-in1-out1", "generatedInput": True}),
    ("unet-nobn-d3-b4", lambda: UNet(1, 1, 4, 3, bn=False), (1, 256, 256),
     {"id": "unet-d3-b4-in1-out1-nobn", "generatedInput": True}),
    # Files as published: half precision under `params` (Real-ESRGAN's compact models),
    # bfloat16 under `params_ema`, and a DataParallel model inside a training checkpoint. PyTorch's
    # output is computed with the rounded weights, which is what the importer converts back.
    ("srvgg-x4-half-params", lambda: SRVGGNetCompact(3, 3, 8, 2, 4, "prelu"), (3, 8, 8),
     {"id": "srvgg-x4-nf8-nc2", "scale": 4, "dtype": "F16", "wrapper": "params"}),
    ("rrdb-x4-bf16-ema", lambda: RRDBNet(3, 3, 4, 8, 1, 4), (3, 6, 6),
     {"id": "rrdbnet-x4-nf8-nb1-gc4", "scale": 4, "dtype": "BF16", "wrapper": "params_ema"}),
    ("srvgg-x2-dataparallel", lambda: SRVGGNetCompact(3, 3, 4, 1, 2, "relu"), (3, 8, 8),
     {"id": "srvgg-x2-nf4-nc1-relu", "scale": 2, "dataParallel": True,
      "wrapper": "model_state_dict"}),
]

SAVE_DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16}


def generated_input(c, h, w):
    # x[i] = ((37 i) mod 101) / 100 over the flattened NCHW tensor: the test computes the same
    # values (float32 division either side), so the input need not be stored.
    index = torch.arange(c * h * w, dtype=torch.int64)
    return ((index * 37) % 101).to(torch.float32).div(100.0).reshape(1, c, h, w)


def randomise(model, generator):
    # PyTorch's default init gives outputs near zero; these weights give outputs of order 0.1-1
    # so a 1e-4 comparison means something. PReLU slopes get varied values too.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 4:
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                p.copy_((torch.rand(p.shape, generator=generator) - 0.5) * 2 * math.sqrt(3.0 / fan_in))
            elif p.dim() == 1 and name.startswith("body.") and isinstance(dict(model.named_modules())[name.rsplit(".", 1)[0]], nn.PReLU):
                p.copy_(torch.rand(p.shape, generator=generator) * 0.3)
            elif name.endswith(".weight") and isinstance(dict(model.named_modules())[name.rsplit(".", 1)[0]], nn.BatchNorm2d):
                p.copy_(0.8 + torch.rand(p.shape, generator=generator) * 0.4)
            else:
                p.copy_((torch.rand(p.shape, generator=generator) - 0.5) * 0.2)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_((torch.rand(b.shape, generator=generator) - 0.5) * 0.2)
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=generator))
        if isinstance(model, SPAN) and model.norm:
            # SPAN multiplies its normalised input by img_range = 255; scale its first
            # convolution down by as much so the activations stay of order 1.
            for p in (model.conv_1.sk.weight, model.conv_1.conv[0].weight):
                p.div_(255.0)


def main(target):
    torch.manual_seed(0)
    manifest = {"torch": torch.__version__, "cases": []}
    for index, (name, factory, (c, h, w), expect) in enumerate(CASES):
        generator = torch.Generator().manual_seed(1000 + index)
        model = factory().eval()
        randomise(model, generator)
        save_dtype = SAVE_DTYPES.get(expect.get("dtype"))
        if save_dtype is not None:
            with torch.no_grad():
                for t in list(model.parameters()) + list(model.buffers()):
                    if t.is_floating_point():
                        t.copy_(t.to(save_dtype).float())
        generated = expect.get("generatedInput", False)
        x = generated_input(c, h, w) if generated else torch.rand((1, c, h, w), generator=generator)
        with torch.no_grad():
            y = model(x)
        state = model.state_dict()
        saved = model.to(save_dtype) if save_dtype is not None else model
        saved = nn.DataParallel(saved) if expect.get("dataParallel") else saved
        saved = saved.state_dict()
        if "wrapper" in expect:
            saved = {"epoch": 40, expect["wrapper"]: saved}
        torch.save(saved, os.path.join(target, f"torch-ref-{name}.pth"))
        with open(os.path.join(target, f"torch-ref-{name}.io.bin"), "wb") as f:
            if not generated:
                f.write(x.contiguous().numpy().astype("<f4").tobytes())
            f.write(y.contiguous().numpy().astype("<f4").tobytes())
        manifest["cases"].append({
            "name": name,
            "input": list(x.shape),
            "output": list(y.shape),
            "outputAbsMax": round(float(y.abs().max()), 4),
            # What the product reports: every stored number the network uses (BatchNorm running
            # statistics included), not bookkeeping (num_batches_tracked, SPAN's no_norm flag).
            "parameterCount": sum(
                t.numel() for k, t in state.items()
                if not k.endswith("num_batches_tracked") and k != "no_norm"
            ),
            "expect": expect,
        })
        print(name, list(y.shape), "|y| max", float(y.abs().max()), "std", float(y.std()))
    manifest_file = os.path.join(target, "torch-ref-manifest.json")
    with open(manifest_file, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    # The repository's formatter (biome) lays out short arrays on one line; run
    # `pnpm exec biome format --write <file>` after regenerating, or the lint check fails.
    print("wrote", manifest_file, "- now run: pnpm exec biome format --write", manifest_file)
    write_containers(target)


class Sample(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 2)
        self.bn = nn.BatchNorm2d(2)


def write_containers(target):
    """The reader's own fixtures: real torch.save / torch.jit.save files (importers/pytorch.test.ts).

    torch-real-sample.pth      a state_dict with float32, float16, bfloat16 and int64 tensors
    torch-real-checkpoint.pth  a training checkpoint: params and params_ema beside other entries
    torch-real-legacy.pth      the same state_dict in the pre-1.6 (non-zip) format
    torch-real-script.pt       a TorchScript archive (torch.jit.save), which is not a state_dict
    """
    sample = Sample()
    with torch.no_grad():
        sample.conv.weight.copy_(torch.arange(1, 9, dtype=torch.float32).reshape(2, 1, 2, 2))
        sample.conv.bias.copy_(torch.tensor([0.5, -0.5]))
        sample.bn.weight.copy_(torch.tensor([1.5, 2.5]))
        sample.bn.num_batches_tracked.fill_(300000)
    state = sample.state_dict()
    state["conv.bias"] = state["conv.bias"].half()
    state["bn.weight"] = state["bn.weight"].bfloat16()
    torch.save(state, os.path.join(target, "torch-real-sample.pth"))
    torch.save(state, os.path.join(target, "torch-real-legacy.pth"), _use_new_zipfile_serialization=False)
    ema = {k: v.clone() for k, v in state.items()}
    ema["conv.weight"] = ema["conv.weight"] * 2
    checkpoint = {"epoch": 12, "best_dice": 0.78, "optimizer": {"lr": 1e-4}, "params": state, "params_ema": ema}
    torch.save(checkpoint, os.path.join(target, "torch-real-checkpoint.pth"))
    torch.jit.save(torch.jit.script(nn.Conv2d(1, 1, 1)), os.path.join(target, "torch-real-script.pt"))
    print("wrote torch-real-{sample,checkpoint,legacy}.pth and torch-real-script.pt")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
