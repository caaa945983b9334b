"""The agent's SFTP subsystem: the workspace's local file system served over SSH, so that
`sftp`, modern `scp` (which speaks SFTP) and editors' remote file access work through the
relay. Relative paths start at the agent's directory (the SSH session's working
directory); the process's own permissions apply, as with OpenSSH's sftp-server.
"""
from __future__ import annotations

import os

import paramiko
from paramiko import SFTPAttributes, SFTPHandle, SFTPServer, SFTPServerInterface
from paramiko.sftp import SFTP_OK


def _errno(exc: OSError) -> int:
    return SFTPServer.convert_errno(exc.errno)


def _set_attr(path: str, attr) -> None:
    # paramiko's set_file_attr truncates a file to zero before resizing it (open "w+");
    # scp sets the size after writing, which would leave zeros: resize in place instead.
    if attr._flags & attr.FLAG_SIZE:
        os.truncate(path, attr.st_size)
        attr._flags &= ~attr.FLAG_SIZE
    SFTPServer.set_file_attr(path, attr)


class _Handle(SFTPHandle):
    def stat(self):
        try:
            return SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as exc:
            return _errno(exc)

    def chattr(self, attr):
        try:
            self.writefile.flush()
            _set_attr(self.filename, attr)
        except OSError as exc:
            return _errno(exc)
        return SFTP_OK


class LocalSFTP(SFTPServerInterface):
    def __init__(self, server, *args, **kwargs):
        super().__init__(server, *args, **kwargs)
        agent = getattr(getattr(server, "stream", None), "agent", None)
        self.home = agent.directory() if agent is not None else os.path.expanduser("~")

    def _path(self, path) -> str:
        path = path.decode(errors="surrogateescape") if isinstance(path, bytes) else path
        return os.path.normpath(os.path.join(self.home, path))

    def canonicalize(self, path):
        return os.path.realpath(self._path(path or "."))

    def list_folder(self, path):
        path = self._path(path)
        try:
            out = []
            for name in os.listdir(path):
                attr = SFTPAttributes.from_stat(os.lstat(os.path.join(path, name)))
                attr.filename = name
                out.append(attr)
            return out
        except OSError as exc:
            return _errno(exc)

    def stat(self, path):
        try:
            return SFTPAttributes.from_stat(os.stat(self._path(path)))
        except OSError as exc:
            return _errno(exc)

    def lstat(self, path):
        try:
            return SFTPAttributes.from_stat(os.lstat(self._path(path)))
        except OSError as exc:
            return _errno(exc)

    def open(self, path, flags, attr):
        path = self._path(path)
        try:
            mode = getattr(attr, "st_mode", None)
            fd = os.open(path, flags | getattr(os, "O_BINARY", 0), mode if mode is not None else 0o666)
        except OSError as exc:
            return _errno(exc)
        if flags & os.O_CREAT and attr is not None:
            attr._flags &= ~attr.FLAG_PERMISSIONS  # the mode was applied by open (umask respected)
            _set_attr(path, attr)
        if flags & os.O_WRONLY:
            fmode = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            fmode = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            fmode = "rb"
        try:
            f = os.fdopen(fd, fmode)
        except OSError as exc:
            os.close(fd)
            return _errno(exc)
        handle = _Handle(flags)
        handle.filename, handle.readfile, handle.writefile = path, f, f
        return handle

    def remove(self, path):
        return self._call(os.remove, self._path(path))

    def rename(self, oldpath, newpath):
        new = self._path(newpath)
        if os.path.exists(new):  # SFTP's rename must not overwrite (posix_rename does)
            return paramiko.sftp.SFTP_FAILURE
        return self._call(os.rename, self._path(oldpath), new)

    def posix_rename(self, oldpath, newpath):
        return self._call(os.rename, self._path(oldpath), self._path(newpath))

    def mkdir(self, path, attr):
        path = self._path(path)
        result = self._call(os.mkdir, path)
        if result == SFTP_OK and attr is not None:
            _set_attr(path, attr)
        return result

    def rmdir(self, path):
        return self._call(os.rmdir, self._path(path))

    def chattr(self, path, attr):
        return self._call(_set_attr, self._path(path), attr)

    def symlink(self, target_path, path):
        return self._call(os.symlink, target_path, self._path(path))

    def readlink(self, path):
        try:
            return os.readlink(self._path(path))
        except OSError as exc:
            return _errno(exc)

    @staticmethod
    def _call(fn, *args):
        try:
            fn(*args)
        except OSError as exc:
            return _errno(exc)
        return SFTP_OK


class SFTPSubsystem(SFTPServer):
    """paramiko's SFTP server, plus the exit status OpenSSH clients wait for (`scp` takes a
    session without one as failed)."""

    def finish_subsystem(self):
        try:
            self.sock.send_exit_status(0)
        except (OSError, EOFError):
            pass
        super().finish_subsystem()
