"""The provisioner's own files in a working directory (state, README, lock file) never lead
outside it, even if the directory held links pointing elsewhere."""
from __future__ import annotations

from provisioner import workdir


def _plant(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret"
    secret.write_text("do not read or overwrite")
    work = tmp_path / "work"
    work.mkdir()
    for name in (workdir.STATE_FILE, workdir.STATE_FILE + ".backup", "README.md", workdir.LOCK_FILE):
        (work / name).symlink_to(secret)
    return work, secret


def test_state_write_replaces_links_instead_of_writing_through_them(tmp_path):
    work, secret = _plant(tmp_path)
    workdir.write_state(str(work), b'{"version": 4}')
    assert secret.read_text() == "do not read or overwrite"
    state = work / workdir.STATE_FILE
    assert not state.is_symlink() and state.read_bytes() == b'{"version": 4}'
    assert (state.stat().st_mode & 0o777) == 0o600


def test_empty_state_removes_a_link_without_touching_its_target(tmp_path):
    work, secret = _plant(tmp_path)
    workdir.write_state(str(work), b"")
    assert not (work / workdir.STATE_FILE).is_symlink() and secret.exists()


def test_reads_do_not_follow_links_out_of_the_working_directory(tmp_path):
    work, _ = _plant(tmp_path)
    assert workdir.read_state(str(work)) == b""
    assert workdir.read_readme(str(work)) == ""


def test_lock_file_link_is_dropped_not_rewritten(tmp_path):
    work, secret = _plant(tmp_path)
    (secret).write_text('provider "registry.terraform.io/coder/coder" {\n}\n')
    workdir.drop_coder_lock(str(work))
    assert "coder/coder" in secret.read_text() and not (work / workdir.LOCK_FILE).exists()


def test_local_starter_template_says_workspace_users_get_the_portals_os_user():
    from pathlib import Path

    import templates_app.examples

    readme = (Path(templates_app.examples.__file__).parent / "local" / "README.md").read_text()
    assert "every workspace user gets a shell as the portal's os user" in readme.lower()
