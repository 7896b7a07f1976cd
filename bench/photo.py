"""Make the benchmark's upload: a phone-camera JPEG of about 1 MB, with EXIF."""

import io
from pathlib import Path

from PIL import Image, ImageFilter

TARGET_BYTES = 1_000_000
# A 12-megapixel phone sensor, 4:3.
SIZE = (4032, 3024)
EXIF_ORIENTATION = 0x0112
EXIF_MODEL = 0x0110


def phone_photo_bytes() -> bytes:
    """Encode a textured 4032x3024 JPEG whose quality brings it near 1 MB.

    Smooth gradients with fine noise compress like a photo of skin. A binary
    search on the quality finds the largest file of at most 1 MB.
    """
    small = Image.effect_noise((SIZE[0] // 8, SIZE[1] // 8), 60).convert("RGB")
    base = small.resize(SIZE, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(SIZE, 18).convert("RGB")
    image = Image.blend(base.filter(ImageFilter.GaussianBlur(6)), grain, 0.12)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # rotated 90 degrees, as phones often write
    exif[EXIF_MODEL] = "BenchPhone 12"
    best = b""
    low, high = 5, 95
    while low <= high:
        quality = (low + high) // 2
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, exif=exif)
        data = buffer.getvalue()
        if len(data) <= TARGET_BYTES:
            best = data
            low = quality + 1
        else:
            high = quality - 1
    return best or data


def write_phone_photo(path: Path) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(phone_photo_bytes())
    return path
