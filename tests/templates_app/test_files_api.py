"""POST/GET /api/v2/files: hostile archives are refused with a reason; good ones dedupe."""
from __future__ import annotations

import io
import stat
import tarfile
import zipfile

import pytest

from templates_app import archives
from templates_app.models import File

MAIN_TF = b'resource "terraform_data" "x" {}\n'


def make_tar(entries, gz=False) -> bytes:
    """entries: (name, kind, payload) with kind file|dir|symlink|hardlink|chardev|fifo."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w") as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                         "chardev": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}[kind]
            if kind in ("symlink", "hardlink"):
                info.linkname = payload
            tar.addfile(info)
    return buffer.getvalue()


def make_zip(entries) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, kind, payload in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if kind == "symlink":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, payload)
            else:
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                archive.writestr(info, payload)
    return buffer.getvalue()


def upload(client, data, content_type="application/x-tar"):
    return client.generic("POST", "/api/v2/files", data, content_type=content_type)


def test_upload_tar_then_download_and_dedupe(client_for, member):
    client = client_for(member)
    data = make_tar([("main.tf", "file", MAIN_TF), ("README.md", "file", b"# hi\n")])
    first = upload(client, data)
    assert first.status_code == 201, first.content
    again = upload(client, data)
    assert again.status_code == 200
    assert again.json()["hash"] == first.json()["hash"]
    assert File.objects.count() == 1
    got = client.get(f"/api/v2/files/{first.json()['hash']}")
    assert got.status_code == 200 and got.content == data


def test_zip_upload_accepted(client_for, member):
    response = upload(client_for(member), make_zip([("main.tf", "file", MAIN_TF)]), "application/zip")
    assert response.status_code == 201, response.content


HOSTILE_TARS = {
    "dotdot": [("../evil.tf", "file", MAIN_TF)],
    "nested-dotdot": [("a/../../evil.tf", "file", MAIN_TF)],
    "absolute": [("/etc/evil.tf", "file", MAIN_TF)],
    "escaping-symlink": [("link", "symlink", "../../etc/passwd")],
    "absolute-symlink": [("link", "symlink", "/etc/passwd")],
    "hardlink-outside": [("link", "hardlink", "../outside")],
    "device": [("dev", "chardev", "")],
    "fifo": [("pipe", "fifo", "")],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TARS))
def test_hostile_tar_is_400_with_reason(client_for, member, case):
    response = upload(client_for(member), make_tar(HOSTILE_TARS[case]))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["validations"][0]["field"] == "file" and body["validations"][0]["detail"]
    assert File.objects.count() == 0


@pytest.mark.parametrize("entries", [
    [("../evil.tf", "file", MAIN_TF)],
    [("/abs.tf", "file", MAIN_TF)],
    [("link", "symlink", "../../outside")],
], ids=["dotdot", "absolute", "escaping-symlink"])
def test_hostile_zip_is_400(client_for, member, entries):
    response = upload(client_for(member), make_zip(entries), "application/zip")
    assert response.status_code == 400, response.content


def test_tar_bomb_ratio_refused(client_for, member):
    bomb = make_tar([("zeros", "file", b"\0" * (8 * 1024 * 1024))], gz=True)
    assert len(bomb) < 100 * 1024
    response = upload(client_for(member), bomb)
    assert response.status_code == 400
    assert "ratio" in response.json()["validations"][0]["detail"]


def test_zip_bomb_ratio_refused(client_for, member):
    response = upload(client_for(member), make_zip([("zeros", "file", b"\0" * (8 * 1024 * 1024))]),
                      "application/zip")
    assert response.status_code == 400


def test_too_many_entries_refused(client_for, member, monkeypatch):
    monkeypatch.setenv("CODER_MAX_FILE_ENTRIES", "5")
    data = make_tar([(f"f{i}.tf", "file", b"") for i in range(6)])
    assert upload(client_for(member), data).status_code == 400


def test_oversized_archive_refused(client_for, member, monkeypatch):
    monkeypatch.setenv("CODER_MAX_FILE_BYTES", "1024")
    data = make_tar([("big.bin", "file", b"x" * 4096)])
    assert upload(client_for(member), data).status_code == 400


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/octet-stream"])
def test_wrong_content_type_is_400_or_415(client_for, member, content_type):
    response = upload(client_for(member), b"garbage", content_type)
    assert response.status_code in (400, 415)
    assert "message" in response.json()


def test_garbage_tar_is_400(client_for, member):
    assert upload(client_for(member), b"not a tar at all" * 100).status_code == 400


def test_other_users_file_is_404_and_anonymous_401(client_for, member, outsider, api_client):
    created = upload(client_for(member), make_tar([("main.tf", "file", MAIN_TF)])).json()["hash"]
    assert client_for(outsider).get(f"/api/v2/files/{created}").status_code == 404
    assert api_client.get(f"/api/v2/files/{created}").status_code == 401


def test_extract_writes_only_inside_destination(tmp_path):
    data = make_tar([("dir/main.tf", "file", MAIN_TF), ("dir/link", "symlink", "main.tf")])
    archives.extract(data, archives.TAR, str(tmp_path / "out"))
    assert (tmp_path / "out" / "dir" / "main.tf").read_bytes() == MAIN_TF
    with pytest.raises(archives.ArchiveError):
        archives.extract(make_tar([("../x", "file", b"")]), archives.TAR, str(tmp_path / "out2"))
    assert not (tmp_path / "x").exists()


def test_extract_refuses_headers_that_lie_about_size(tmp_path):
    data = make_zip([("zeros", "file", b"\0" * 4096)])
    limits = archives.Limits(max_uncompressed_bytes=1024)
    with pytest.raises(archives.ArchiveError):
        archives.extract(data, archives.ZIP, str(tmp_path / "out"), limits)
