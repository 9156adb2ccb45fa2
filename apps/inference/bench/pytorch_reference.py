"""The seed's way of upscaling one image, for bench/speed.ts (issue 16): PyTorch eager on the CPU,
Real-ESRGAN's RealESRGANer (tile 192, tile_pad 10, pre_pad 10: its pre_process, tile_process and
post_process, kept line for line below), then the PNG written as the seed wrote it (cv2.imwrite;
PIL or numpy + zlib with cv2's default settings where cv2 is missing). Debian:
apt-get install python3-torch python3-opencv (or python3-pil).

The model is the official Real-ESRGAN AnimeVideo v3 x4 (SRVGGNetCompact, num_feat 64, num_conv
16, upscale 4, PReLU). Its weights are read from the NCNN .param/.bin the product ships and
imports (test/fixtures): the same float16 values the product's ONNX holds, without an ONNX
package in Python. --verify-* compares the PyTorch output with onnxruntime's on a small input
(speed.ts writes both) before anything is timed.

    python3 pytorch_reference.py --param M.param --bin M.bin --image in.png --runs 3
        one warm-up run, then N timed runs; prints one JSON object
    python3 pytorch_reference.py ... --serve
        prints {"ready": ...}, then one timed run per "run" line on stdin (one JSON line each),
        so speed.ts can interleave it with its own runs
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
import zlib

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

try:
    import cv2
except ImportError:
    cv2 = None
try:
    from PIL import Image
except ImportError:
    Image = None

NCNN_TAG_FLOAT16 = 0x01306B47
NCNN_TAG_FLOAT32 = 0x0002C056


class SRVGGNetCompact(nn.Module):
    """Real-ESRGAN's realesrgan/archs/srvgg_arch.py (PReLU variant)."""

    def __init__(self, num_in_ch=3, num_out_ch=3, num_feat=64, num_conv=16, upscale=4):
        super().__init__()
        self.upscale = upscale
        self.body = nn.ModuleList()
        self.body.append(nn.Conv2d(num_in_ch, num_feat, 3, 1, 1))
        self.body.append(nn.PReLU(num_parameters=num_feat))
        for _ in range(num_conv):
            self.body.append(nn.Conv2d(num_feat, num_feat, 3, 1, 1))
            self.body.append(nn.PReLU(num_parameters=num_feat))
        self.body.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.upsampler = nn.PixelShuffle(upscale)

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = self.upsampler(out)
        base = F.interpolate(x, scale_factor=self.upscale, mode="nearest")
        out += base
        return out


def read_ncnn_layers(param_path):
    """(type, {key: value}) per layer of an NCNN .param, in file order (the .bin's order)."""
    with open(param_path, encoding="utf8") as f:
        lines = [line.split() for line in f if line.strip()]
    if lines[0] != ["7767517"]:
        raise ValueError(f"{param_path}: not an NCNN .param (magic {lines[0]})")
    layers = []
    for fields in lines[2:]:
        kind, bottoms, tops = fields[0], int(fields[2]), int(fields[3])
        params = dict(kv.split("=", 1) for kv in fields[4 + bottoms + tops :])
        layers.append((kind, params))
    return layers


def load_ncnn_weights(model, param_path, bin_path):
    """Fills SRVGGNetCompact from the NCNN files: Convolution blobs are a 4-byte storage tag then
    the weights ([out, in, kh, kw], as PyTorch), the bias raw float32; PReLU slopes raw float32."""
    data = open(bin_path, "rb").read()
    offset = 0

    def raw(count):
        nonlocal offset
        values = np.frombuffer(data, "<f4", count, offset).astype(np.float32)
        offset += count * 4
        return values

    def tagged(count):
        nonlocal offset
        tag = int.from_bytes(data[offset : offset + 4], "little")
        offset += 4
        if tag == NCNN_TAG_FLOAT16:
            values = np.frombuffer(data, "<f2", count, offset).astype(np.float32)
            offset += (count * 2 + 3) & ~3
            return values
        if tag in (0, NCNN_TAG_FLOAT32):
            return raw(count)
        raise ValueError(f"{bin_path}: unsupported NCNN weight storage tag {tag:#x}")

    convs = [m for m in model.body if isinstance(m, nn.Conv2d)]
    prelus = [m for m in model.body if isinstance(m, nn.PReLU)]
    blobs = {"Convolution": [], "PReLU": []}
    for kind, params in read_ncnn_layers(param_path):
        if kind == "Convolution":
            weight = tagged(int(params["6"]))
            bias = raw(int(params["0"])) if params.get("5") == "1" else None
            blobs[kind].append((weight, bias))
        elif kind == "PReLU":
            blobs[kind].append(raw(int(params["0"])))
    if offset != len(data):
        raise ValueError(f"{bin_path}: {len(data) - offset} bytes left over (not this .param's)")
    if len(blobs["Convolution"]) != len(convs) or len(blobs["PReLU"]) != len(prelus):
        raise ValueError(
            f"{param_path}: {len(blobs['Convolution'])} Convolution / {len(blobs['PReLU'])} PReLU"
            f" layers, SRVGGNetCompact has {len(convs)} / {len(prelus)}"
        )
    with torch.no_grad():
        for conv, (weight, bias) in zip(convs, blobs["Convolution"]):
            conv.weight.copy_(torch.from_numpy(weight).reshape(conv.weight.shape))
            conv.bias.copy_(torch.from_numpy(bias))
        for prelu, slopes in zip(prelus, blobs["PReLU"]):
            prelu.weight.copy_(torch.from_numpy(slopes))


class RealESRGANer:
    """Real-ESRGAN's realesrgan/utils.py RealESRGANer, CPU and float32 as the seed ran it; only
    the branches a 3-channel 8-bit image at scale 4 takes (no alpha, 16-bit, gray or outscale)."""

    def __init__(self, scale, model, tile=0, tile_pad=10, pre_pad=10):
        self.scale = scale
        self.tile_size = tile
        self.tile_pad = tile_pad
        self.pre_pad = pre_pad
        self.mod_scale = None
        self.device = torch.device("cpu")
        model.eval()
        self.model = model.to(self.device)
        self.model_ms = 0.0

    def pre_process(self, img):
        img = torch.from_numpy(np.transpose(img, (2, 0, 1))).float()
        self.img = img.unsqueeze(0).to(self.device)
        if self.pre_pad != 0:
            self.img = F.pad(self.img, (0, self.pre_pad, 0, self.pre_pad), "reflect")
        if self.scale == 2:
            self.mod_scale = 2
        elif self.scale == 1:
            self.mod_scale = 4
        if self.mod_scale is not None:
            raise NotImplementedError("mod_scale padding (scale 1 and 2) is not part of the bench")

    def process(self):
        self.output = self.model(self.img)

    def tile_process(self):
        batch, channel, height, width = self.img.shape
        output_shape = (batch, channel, height * self.scale, width * self.scale)
        self.output = self.img.new_zeros(output_shape)
        tiles_x = math.ceil(width / self.tile_size)
        tiles_y = math.ceil(height / self.tile_size)
        for y in range(tiles_y):
            for x in range(tiles_x):
                ofs_x = x * self.tile_size
                ofs_y = y * self.tile_size
                input_start_x = ofs_x
                input_end_x = min(ofs_x + self.tile_size, width)
                input_start_y = ofs_y
                input_end_y = min(ofs_y + self.tile_size, height)
                input_start_x_pad = max(input_start_x - self.tile_pad, 0)
                input_end_x_pad = min(input_end_x + self.tile_pad, width)
                input_start_y_pad = max(input_start_y - self.tile_pad, 0)
                input_end_y_pad = min(input_end_y + self.tile_pad, height)
                input_tile_width = input_end_x - input_start_x
                input_tile_height = input_end_y - input_start_y
                input_tile = self.img[
                    :, :, input_start_y_pad:input_end_y_pad, input_start_x_pad:input_end_x_pad
                ]
                with torch.no_grad():
                    output_tile = self.model(input_tile)
                output_start_x = input_start_x * self.scale
                output_end_x = input_end_x * self.scale
                output_start_y = input_start_y * self.scale
                output_end_y = input_end_y * self.scale
                output_start_x_tile = (input_start_x - input_start_x_pad) * self.scale
                output_end_x_tile = output_start_x_tile + input_tile_width * self.scale
                output_start_y_tile = (input_start_y - input_start_y_pad) * self.scale
                output_end_y_tile = output_start_y_tile + input_tile_height * self.scale
                self.output[:, :, output_start_y:output_end_y, output_start_x:output_end_x] = (
                    output_tile[
                        :,
                        :,
                        output_start_y_tile:output_end_y_tile,
                        output_start_x_tile:output_end_x_tile,
                    ]
                )

    def post_process(self):
        if self.pre_pad != 0:
            _, _, h, w = self.output.size()
            self.output = self.output[
                :, :, 0 : h - self.pre_pad * self.scale, 0 : w - self.pre_pad * self.scale
            ]
        return self.output

    @torch.no_grad()
    def enhance(self, img):
        img = img.astype(np.float32)
        if np.max(img) > 256:
            raise NotImplementedError("16-bit input is not part of the bench")
        img = img / 255
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if cv2 is not None else img[:, :, ::-1].copy()
        self.pre_process(img)
        started = time.perf_counter()
        if self.tile_size > 0:
            self.tile_process()
        else:
            self.process()
        self.model_ms = (time.perf_counter() - started) * 1000
        output_img = self.post_process()
        output_img = output_img.data.squeeze().float().cpu().clamp_(0, 1).numpy()
        output_img = np.transpose(output_img[[2, 1, 0], :, :], (1, 2, 0))
        return (output_img * 255.0).round().astype(np.uint8)


def read_bgr(path):
    """The image as cv2.imread(path, cv2.IMREAD_UNCHANGED) gives it: HxWx3 uint8, BGR."""
    if cv2 is not None:
        return cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return np.asarray(Image.open(path).convert("RGB"))[:, :, ::-1]


def write_png(path, bgr):
    """cv2.imwrite as the seed called it. Its PNG defaults (zlib level 1, Z_RLE, the Sub filter)
    are kept by the fallbacks, so a missing cv2 does not change the work measured."""
    if cv2 is not None:
        cv2.imwrite(path, bgr)
        return "cv2.imwrite"
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    if Image is not None:
        Image.fromarray(rgb).save(path, compress_level=1, compress_type=zlib.Z_RLE)
        return "PIL (compress_level 1, Z_RLE)"
    height, width, _ = rgb.shape
    rows = rgb.reshape(height, width * 3).astype(np.int16)
    sub = rows.copy()
    sub[:, 3:] -= rows[:, :-3]
    filtered = np.empty((height, width * 3 + 1), np.uint8)
    filtered[:, 0] = 1  # PNG filter type Sub
    filtered[:, 1:] = sub.astype(np.uint8)
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    idat = packer.compress(filtered.tobytes()) + packer.flush()

    def chunk(kind, body):
        return (
            len(body).to_bytes(4, "big")
            + kind
            + body
            + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat))
        f.write(chunk(b"IEND", b""))
    return "numpy + zlib (level 1, Z_RLE, Sub filter)"


def verify(model, input_path, expected_path, height, width, scale):
    """Max abs difference between PyTorch's and onnxruntime's output on the same planar input."""
    x = np.fromfile(input_path, "<f4").reshape(1, 3, height, width)
    expected = np.fromfile(expected_path, "<f4").reshape(1, 3, height * scale, width * scale)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    return float(np.max(np.abs(got - expected)))


def timed_run(upsampler, image_path, out_path):
    started = time.perf_counter()
    img = read_bgr(image_path)
    read_done = time.perf_counter()
    output = upsampler.enhance(img)
    enhance_done = time.perf_counter()
    writer = write_png(out_path, output)
    written = time.perf_counter()
    return {
        "readMs": (read_done - started) * 1000,
        "modelTilingMs": upsampler.model_ms,
        "enhanceMs": (enhance_done - read_done) * 1000,
        "pngWriteMs": (written - enhance_done) * 1000,
        "totalMs": (written - started) * 1000,
        "pngBytes": os.path.getsize(out_path),
        "pngWriter": writer,
        "outWidth": int(output.shape[1]),
        "outHeight": int(output.shape[0]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--param", required=True)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--out", help="result PNG (default: a temporary file, removed)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tile", type=int, default=192)
    parser.add_argument("--tile-pad", type=int, default=10)
    parser.add_argument("--pre-pad", type=int, default=10)
    parser.add_argument("--verify-input")
    parser.add_argument("--verify-output")
    parser.add_argument("--verify-size", help="HxW of --verify-input, e.g. 40x48")
    parser.add_argument("--verify-tolerance", type=float, default=1e-4)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    model = SRVGGNetCompact(num_feat=64, num_conv=16, upscale=4)
    load_ncnn_weights(model, args.param, args.bin)
    model.eval()
    info = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "tile": args.tile,
        "tilePad": args.tile_pad,
        "prePad": args.pre_pad,
    }
    if args.verify_input:
        height, width = (int(v) for v in args.verify_size.split("x"))
        diff = verify(model, args.verify_input, args.verify_output, height, width, 4)
        info["verifyMaxAbsDiff"] = diff
        if not diff <= args.verify_tolerance:
            print(json.dumps({"error": f"PyTorch != onnxruntime: max abs diff {diff}", **info}))
            sys.exit(2)

    upsampler = RealESRGANer(4, model, tile=args.tile, tile_pad=args.tile_pad, pre_pad=args.pre_pad)
    with tempfile.TemporaryDirectory(prefix="pytorch-reference-") as scratch:
        out_path = args.out or os.path.join(scratch, "out.png")
        # Warm-up: oneDNN picks its kernels on the first call of each shape.
        timed_run(upsampler, args.image, out_path)
        if args.serve:
            print(json.dumps({"ready": True, **info}), flush=True)
            for line in sys.stdin:
                if line.strip() == "run":
                    print(json.dumps(timed_run(upsampler, args.image, out_path)), flush=True)
            return
        runs = [timed_run(upsampler, args.image, out_path) for _ in range(args.runs)]
        print(json.dumps({**info, "runs": runs}))


if __name__ == "__main__":
    main()
