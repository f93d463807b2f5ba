"""Users and roles of a shared dashboard, in a file next to the store.

The file (``<store>.users.json``, or ``$TRACKER_USERS``) is readable by its owner only (0600) and
is not part of the store, so no SQL (the dashboard's console included) can read it. Passwords
are kept only as argon2id hashes (salted and slow, from argon2-cffi); a password is never
stored, logged or printed. Every write replaces the file atomically.

Roles are ordered: an editor may do what an analyst may, an analyst what a viewer may
(`allows`): viewer the pages; analyst + the SQL console and downloads; editor + uploads,
retractions and pulls.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from tracker import paths
from tracker.errors import TrackerError
from tracker.vocab import ROLES, Role

#: A login: letters, digits and ``._-@``, 1 to 64 of them.
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
#: Shortest password accepted.
MIN_PASSWORD = 10


class UserError(TrackerError):
    """A user that cannot be added, changed or removed as asked."""


@dataclass
class User:
    name: str
    role: str
    password_hash: str
    created_at: str
    password_changed_at: str


def users_file(store: str | Path | None = None) -> Path:
    """Where the users of ``store`` are kept: ``$TRACKER_USERS``, else ``<store>.users.json``.

    A lake has no file to keep them beside: its users file is named by ``$TRACKER_USERS``, one
    file that every dashboard server of the lake reads (a shared folder, or a copy per machine).
    """
    env = os.environ.get("TRACKER_USERS")
    if env:
        return Path(env)
    from tracker.lake import is_lake

    if is_lake(store):
        raise UserError(
            "error: a lake keeps no users file beside it: name one with "
            "TRACKER_USERS=/path/users.json (the same file for every server of the lake)"
        )
    target = Path(store) if store is not None else paths.default_db()
    return target.with_name(target.name + ".users.json")


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def allows(role: str | None, needed: Role) -> bool:
    """Whether a login with ``role`` may do what needs ``needed``."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def load(path: Path) -> dict[str, User]:
    """The users in ``path`` by name (none when the file does not exist)."""
    if not path.exists():
        return {}
    try:
        rows = json.loads(path.read_text())
        return {row["name"]: User(**row) for row in rows}
    except (ValueError, TypeError, KeyError) as exc:
        raise UserError(
            f"error: {path} is not a tracker users file ({exc}); move it away and add the users "
            "again with `tracker users add`"
        ) from None


def _save(path: Path, users: dict[str, User]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(user) for user in sorted(users.values(), key=lambda u: u.name)]
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as fh:
            json.dump(rows, fh, indent=1)
            fh.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"error: a password needs at least {MIN_PASSWORD} characters")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"error: '{role}' is not a role (use one of {', '.join(ROLES)})")


def _require(users: dict[str, User], name: str) -> User:
    if name not in users:
        raise UserError(f"error: there is no user {name} (`tracker users list` shows them)")
    return users[name]


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def add(path: Path, name: str, role: str, password: str) -> None:
    """Add a user; `UserError` for a bad name, role, short password or an existing user."""
    if not _NAME.fullmatch(name):
        raise UserError(
            f"error: '{name}' is not a login name (use letters, digits and . _ - @, at most 64)"
        )
    _check_role(role)
    users = load(path)
    if name in users:
        raise UserError(
            f"error: user {name} exists (change the password with `tracker users passwd {name}`)"
        )
    _check_password(password)
    now = _now()
    users[name] = User(name, role, _hasher().hash(password), now, now)
    _save(path, users)


def remove(path: Path, name: str) -> None:
    """Remove a user (their sessions end at their next request)."""
    users = load(path)
    _require(users, name)
    del users[name]
    _save(path, users)


def set_password(path: Path, name: str, password: str) -> None:
    """Replace a user's password (their open sessions end at their next request)."""
    users = load(path)
    user = _require(users, name)
    _check_password(password)
    user.password_hash = _hasher().hash(password)
    user.password_changed_at = _now()
    _save(path, users)


def set_role(path: Path, name: str, role: str) -> None:
    """Change what a user may do."""
    _check_role(role)
    users = load(path)
    _require(users, name).role = role
    _save(path, users)


def verify(path: Path, name: str, password: str) -> User | None:
    """The user when the password is theirs, else None. An unknown login costs a hash too, so
    the time taken does not tell which logins exist."""
    from argon2.exceptions import InvalidHashError, VerificationError

    user = load(path).get(name)
    hasher = _hasher()
    if user is None:
        hasher.hash(password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
