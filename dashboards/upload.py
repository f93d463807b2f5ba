"""Release files uploaded on the Releases page: decoded, checked and appended like the CLI does."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import ValidationError

#: Upload limit for release files on the Releases page.
UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024


@dataclass
class Upload:
    """A release file the browser sent, decoded."""

    file_name: str
    content: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def decode_upload(contents: str, file_name: str) -> Upload:
    """Decode a ``dcc.Upload`` data URL; refuse files over the size limit."""
    name = Path(file_name or "upload").name or "upload"
    try:
        _, encoded = contents.split(",", 1)
        content = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise ValidationError(
            [f"error: {name}: the upload arrived broken (try again, or use `tracker append`)"]
        ) from None
    if len(content) > UPLOAD_LIMIT_BYTES:
        limit_mb = UPLOAD_LIMIT_BYTES // (1024 * 1024)
        raise ValidationError(
            [
                f"error: {name}: the file is {len(content) / 1024 / 1024:.1f} MB, over the "
                f"{limit_mb} MB upload limit (append it with `tracker append {name}`)"
            ]
        )
    return Upload(file_name=name, content=content)


def append_upload(
    path: Path,
    upload: Upload,
    meta_fields: Mapping[str, str | None],
    *,
    fmt: str | None = None,
    dry_run: bool,
    by: str | None = None,
):
    """Validate (and unless ``dry_run``, commit) an uploaded release, like `tracker append`.

    ``by`` is who appends it (the dashboard's login), recorded as the release's
    ``ingested_by``; without one, the OS user of the server.

    The bytes are read from memory with the same readers as the CLI (`tracker.append.append`),
    and the store is opened read-write only for the append itself.
    """
    from tracker import append as appending
    from tracker.formats import Source

    meta = appending.ReleaseMeta(
        source=(meta_fields.get("source") or None),
        published=appending.parse_published(meta_fields.get("published") or None),
        title=(meta_fields.get("title") or None),
        url=(meta_fields.get("url") or None),
        ingested_by=by,
    )
    return appending.append(
        path,
        Source(upload.file_name, data=upload.content),
        meta=meta,
        format=fmt or None,
        dry_run=dry_run,
    )


def format_names() -> list[str]:
    """The release formats the upload accepts (``--format`` names)."""
    from tracker import formats

    return list(formats.registry())
