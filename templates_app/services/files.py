"""Template source files: upload (archive checks, dedup by hash) and the archive limits."""
from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from coderportal import config
from templates_app import archives
from templates_app.models import File


def archive_limits() -> archives.Limits:
    return archives.Limits(
        max_archive_bytes=config.get_int("CODER_MAX_FILE_BYTES"),
        max_uncompressed_bytes=config.get_int("CODER_MAX_FILE_UNCOMPRESSED_BYTES"),
        max_entries=config.get_int("CODER_MAX_FILE_ENTRIES"),
    )


def upload_file(*, actor: Actor, data: bytes, content_type: str) -> tuple[File, bool]:
    """Store an archive after validating it; returns (file, created)."""
    rbac.authorize(actor.subject, "create", rbac.RbacObject(type="file", owner_id=actor.subject.user_id))
    try:
        mimetype = archives.validate(data, content_type, archive_limits())
    except archives.ArchiveError as exc:
        raise ValidationFailed("Invalid archive.", {"file": str(exc)}, detail=str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    existing = File.objects.filter(hash=digest, created_by=actor.user).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            file = File.objects.create(hash=digest, mimetype=mimetype, size=len(data), data=data,
                                       created_by=actor.user)
            audit.record(actor, "create", "file", resource_id=file.id, target=digest[:12],
                         additional={"size": len(data), "mimetype": mimetype}, status_code=201)
    except IntegrityError:  # a concurrent identical upload won
        return File.objects.get(hash=digest, created_by=actor.user), False
    return file, True
