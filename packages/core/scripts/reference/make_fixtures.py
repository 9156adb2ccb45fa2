"""Writes the PyTorch reference fixtures of the architecture detection tests.

Run with Debian's python3 and python3-torch (apt-get install -y python3-torch):

    /usr/bin/python3 packages/core/scripts/reference/make_fixtures.py test/fixtures

For each case it builds the PyTorch module (defined below, following basicsr's
rrdbnet_arch.py / srvgg_arch.py and the original ESRGAN RRDBNet_arch.py), fills it with seeded
random weights, saves `model.state_dict()` with torch.save (the zip format every .pth in the wild
uses since PyTorch 1.6), runs one seeded input through it and writes the input and the output.
Files, all in the target folder:

    torch-ref-<case>.pth       the state_dict, as torch.save wrote it
    torch-ref-<case>.io.bin    the input then the output, float32 little-endian, NCHW
    torch-ref-manifest.json    per case: shapes and what detection must find

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


# --- The cases --------------------------------------------------------------------------------

CASES = [
    # name, module factory, input (C, H, W), what detection must report
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
]


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
            else:
                p.copy_((torch.rand(p.shape, generator=generator) - 0.5) * 0.2)


def main(target):
    torch.manual_seed(0)
    manifest = {"torch": torch.__version__, "cases": []}
    for index, (name, factory, (c, h, w), expect) in enumerate(CASES):
        generator = torch.Generator().manual_seed(1000 + index)
        model = factory().eval()
        randomise(model, generator)
        x = torch.rand((1, c, h, w), generator=generator)
        with torch.no_grad():
            y = model(x)
        torch.save(model.state_dict(), os.path.join(target, f"torch-ref-{name}.pth"))
        with open(os.path.join(target, f"torch-ref-{name}.io.bin"), "wb") as f:
            f.write(x.contiguous().numpy().astype("<f4").tobytes())
            f.write(y.contiguous().numpy().astype("<f4").tobytes())
        manifest["cases"].append({
            "name": name,
            "input": list(x.shape),
            "output": list(y.shape),
            "outputAbsMax": round(float(y.abs().max()), 4),
            "parameterCount": sum(p.numel() for p in model.parameters()),
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


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
