import io
import resource
import struct
import zlib
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, PngImagePlugin

from apoint.models import OrderPhoto
from tests.conftest import image_bytes

UPLOAD = "/api/apoint/upload/"


def upload(client, content: bytes, name="photo.jpg", field="file"):
    response = client.post(UPLOAD, {field: SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    return response.json()


def fetch(client, url: str) -> bytes:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_header_only(width: int, height: int, extra: bytes = b"") -> bytes:
    """Return a valid PNG whose header declares `width` x `height` pixels.

    The pixel data is one compressed empty row, so the file is tiny. `extra`
    is inserted as raw chunks before the pixel data.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + extra
        + png_chunk(b"IDAT", zlib.compress(b"\x00"))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "decoded"),
    [("JPEG", "JPEG"), ("PNG", "PNG"), ("GIF", "PNG"), ("WEBP", "WEBP")],
)
def test_upload_accepts_image_format(client, db, fmt, decoded):
    body = upload(client, image_bytes(fmt))
    assert body["result"] == 0
    assert body["imgurl"].startswith("http://testserver/media/photos/")
    image = Image.open(io.BytesIO(fetch(client, body["imgurl"])))
    assert image.format == decoded
    assert image.size == (64, 48)


def test_upload_accepts_camera_mpo(client, db):
    buffer = io.BytesIO()
    first = Image.new("RGB", (64, 48), (200, 120, 120))
    first.save(buffer, "MPO", save_all=True, append_images=[first.copy()])
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    body = upload(client, buffer.getvalue())
    image = Image.open(io.BytesIO(fetch(client, body["imgurl"])))
    assert image.format == "JPEG"


def test_upload_creates_unattached_photo(client, db):
    body = upload(client, image_bytes())
    photo = OrderPhoto.objects.get()
    assert photo.order_id is None
    assert body["imgurl"].endswith(photo.file.name)
    assert (photo.width, photo.height) == (64, 48)


@pytest.mark.parametrize("field", ["file", "image", "upfile", "任意"])
def test_upload_accepts_any_field_name(client, db, field):
    assert upload(client, image_bytes(), field=field)["result"] == 0


def test_upload_served_with_image_type(client, db):
    body = upload(client, image_bytes())
    response = client.get(urlsplit(body["imgurl"]).path)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"this is not an image", "photo.jpg"),
        (SVG, "photo.svg"),
        (SVG, "photo.png"),
        (image_bytes("BMP"), "photo.bmp"),
        (image_bytes("TIFF"), "photo.jpg"),
        (b"", "photo.jpg"),
        (image_bytes("JPEG")[:200], "photo.jpg"),
    ],
)
def test_upload_rejects_non_image(client, db, content, name):
    body = upload(client, content, name=name)
    assert body["result"] == 1
    assert body["msg"]
    assert OrderPhoto.objects.count() == 0


def test_upload_bmp_message_lists_formats(client, db):
    body = upload(client, image_bytes("BMP"), name="photo.bmp")
    assert body == {"result": 1, "msg": "只支持 JPEG、PNG、GIF 或 WebP 图片"}


def test_upload_without_file_rejected(client, db):
    body = client.post(UPLOAD, {"name": "x"}).json()
    assert body == {"result": 1, "msg": "请上传一张图片"}


def test_upload_two_files_rejected(client, db):
    files = {
        "a": SimpleUploadedFile("a.jpg", image_bytes()),
        "b": SimpleUploadedFile("b.jpg", image_bytes()),
    }
    assert client.post(UPLOAD, files).json() == {"result": 1, "msg": "请上传一张图片"}
    assert OrderPhoto.objects.count() == 0


def test_upload_over_ten_megabytes_rejected(client, db):
    content = image_bytes() + b"\x00" * (10 * 1024 * 1024)
    body = upload(client, content)
    assert body == {"result": 1, "msg": "图片不能超过10MB"}


def test_upload_far_over_cap_is_413(client, db):
    content = b"\x00" * (11 * 1024 * 1024)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("a.jpg", content)})
    assert response.status_code == 413
    assert response.json()["result"] == 1
    assert response.json()["msg"] == "请求体过大"


def test_upload_decompression_bomb_rejected(client, db, settings):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    body = upload(client, png_header_only(30000, 30000), name="bomb.png")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert body["result"] == 1
    assert body["msg"].startswith("图片尺寸过大")
    assert grown_kib < 100 * 1024
    assert OrderPhoto.objects.count() == 0


@pytest.mark.parametrize("kind", [b"zTXt", b"iCCP"])
def test_upload_compressed_chunk_bomb_rejected(client, db, kind):
    bomb = png_chunk(kind, b"k\x00\x00" + zlib.compress(b"a" * (20 * 1024 * 1024)))
    body = upload(client, png_header_only(1, 1, bomb), name="bomb.png")
    assert body["result"] == 1
    assert body["msg"] == "无法识别的图片，请上传 JPEG、PNG、GIF 或 WebP 图片"


def test_upload_over_pixel_cap_rejected(client, db, settings):
    settings.APOINT_UPLOAD_MAX_PIXELS = 1000
    body = upload(client, image_bytes("PNG", size=(40, 30)), name="big.png")
    assert body == {
        "result": 1,
        "msg": "图片尺寸过大（40×30），像素数不能超过1000",
    }


def test_upload_applies_exif_orientation(client, db):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    body = upload(client, image_bytes("JPEG", size=(64, 48), exif=exif.tobytes()))
    image = Image.open(io.BytesIO(fetch(client, body["imgurl"])))
    assert image.size == (48, 64)


def test_upload_drops_jpeg_metadata(client, db):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPS IFD
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    content = image_bytes("JPEG", exif=exif.tobytes(), icc_profile=icc)
    body = upload(client, content)
    stored = fetch(client, body["imgurl"])
    image = Image.open(io.BytesIO(stored))
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert len(image.getexif()) == 0
    assert b"PhoneMaker" not in stored


def test_upload_drops_png_metadata(client, db):
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "home address")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    content = image_bytes("PNG", pnginfo=text, icc_profile=icc)
    stored = fetch(client, upload(client, content, name="a.png")["imgurl"])
    image = Image.open(io.BytesIO(stored))
    assert "icc_profile" not in image.info
    assert "Comment" not in image.info
    assert b"home address" not in stored


def test_upload_drops_webp_metadata(client, db):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    content = image_bytes("WEBP", exif=exif.tobytes())
    stored = fetch(client, upload(client, content, name="a.webp")["imgurl"])
    assert "exif" not in Image.open(io.BytesIO(stored)).info
    assert b"PhoneMaker" not in stored


def test_upload_keeps_png_transparency(client, db):
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 0, 0, 0)).save(buffer, "PNG")
    stored = fetch(client, upload(client, buffer.getvalue(), name="a.png")["imgurl"])
    assert Image.open(io.BytesIO(stored)).getpixel((0, 0))[3] == 0


def test_upload_names_are_random(client, db):
    first = upload(client, image_bytes(), name="../../evil.jpg")["imgurl"]
    second = upload(client, image_bytes(), name="../../evil.jpg")["imgurl"]
    assert first != second
    assert "evil" not in first
    assert urlsplit(first).path.count("/") == 3


def test_upload_large_photo_scaled_down(client, db):
    body = upload(client, image_bytes("PNG", size=(5000, 100)), name="wide.png")
    image = Image.open(io.BytesIO(fetch(client, body["imgurl"])))
    assert max(image.size) == 2048


def test_upload_get_not_allowed(client, db):
    response = client.get(UPLOAD)
    assert response.status_code == 405
    assert response.json()["ret"] == 2


def test_media_unknown_name_not_found(client, db):
    assert client.get("/media/photos/missing.jpg").status_code == 404


def test_purge_removes_stale_unattached_photos(client, order, settings):
    import datetime

    import time_machine
    from django.core.files.storage import default_storage

    from apoint.uploads import photo_purge_unattached

    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        stale = upload(client, image_bytes())["imgurl"].split("/media/")[1]
        kept = upload(client, image_bytes())["imgurl"].split("/media/")[1]
        OrderPhoto.objects.filter(file=kept).update(order=order)
        clock.shift(datetime.timedelta(days=2))
        fresh = upload(client, image_bytes())["imgurl"].split("/media/")[1]
        assert photo_purge_unattached(older_than=datetime.timedelta(days=1)) == 1
    names = set(OrderPhoto.objects.values_list("file", flat=True))
    assert names == {kept, fresh}
    assert not default_storage.exists(stale)
    assert default_storage.exists(kept)


def test_upload_camera_jpeg_decoded_at_half(client, db):
    body = upload(client, image_bytes("JPEG", size=(4032, 3024)), name="camera.jpg")
    image = Image.open(io.BytesIO(fetch(client, body["imgurl"])))
    assert image.size == (2016, 1512)


def test_draft_size_keeps_three_quarters():
    from apoint.uploads import _draft_size

    assert _draft_size((4032, 3024)) == (2016, 1512)
    assert _draft_size((3000, 2000)) == (3000, 2000)
    assert _draft_size((8000, 6000)) == (2000, 1500)
    assert _draft_size((1000, 800)) == (1000, 800)
