"""The body meter of the hardening middleware names an over-limit upload without keeping
it: the file's name, its exact size (up to the next boundary) and the form's CSRF token,
however the body is cut into chunks."""

from __future__ import annotations

import pytest

from steerco.http.security import _Meter

BOUNDARY = "----WebKitFormBoundaryQ1w2E3"
DATA = b"row,\r\n-\r\n--" + b"z" * 5000 + b"\r\n--"  # near-boundaries inside the file


def _body(data: bytes, name: str = "plän 2027.xlsx") -> bytes:
    b = BOUNDARY.encode()
    return (b"--" + b + b'\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            b"tok-123\r\n--" + b + b'\r\nContent-Disposition: form-data; name="file"; '
            b'filename="' + name.encode() + b'"\r\nContent-Type: application/vnd.ms-excel'
            b"\r\n\r\n" + data + b"\r\n--" + b + b"--\r\n")


@pytest.mark.parametrize("chunk", [1, 3, 17, 64, 4096, 10**6])
def test_the_meter_finds_name_size_and_token_in_any_chunking(chunk: int) -> None:
    meter = _Meter({"headers": [(b"content-type",
                                 f"multipart/form-data; boundary={BOUNDARY}".encode())]})
    body = _body(DATA)
    for i in range(0, len(body), chunk):
        meter.feed(body[i:i + chunk])
    assert (meter.file_name, meter.file_size(), meter.csrf) == (
        "plän 2027.xlsx", len(DATA), "tok-123")
    assert meter.total == len(body)


def test_a_path_in_the_file_name_is_dropped_and_no_multipart_is_the_body_size() -> None:
    meter = _Meter({"headers": [(b"content-type",
                                 f'multipart/form-data; boundary="{BOUNDARY}"'.encode())]})
    meter.feed(_body(b"abc", name="C:\\Users\\ada\\plan.xlsx"))
    assert (meter.file_name, meter.file_size()) == ("plan.xlsx", 3)
    plain = _Meter({"headers": [(b"content-type", b"application/octet-stream")]})
    plain.feed(b"x" * 10)
    assert (plain.file_name, plain.file_size(), plain.csrf) == (None, 10, None)
