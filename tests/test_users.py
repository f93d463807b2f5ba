"""Logins for a shared dashboard: kept as argon2id hashes in a file only its owner reads."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from tracker import users
from tracker.cli import cli

PASSWORD = "correct horse battery staple"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_add_list_passwd_role_remove(tmp_path):
    store = tmp_path / "s.duckdb"
    path = users.users_file(store)

    added = run("users", "add", "maria", "--role", "analyst", "--db", str(store),
                input=PASSWORD + "\n")  # fmt: skip
    assert (added.exit_code, added.stderr) == (0, "user maria added (analyst)\n")
    assert path == tmp_path / "s.duckdb.users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert PASSWORD not in text and json.loads(text)[0]["password_hash"].startswith("$argon2id$")
    assert run("users", "list", "--db", str(store)).stdout.startswith(
        "maria  analyst  password set"
    )

    assert users.verify(path, "maria", PASSWORD) is not None
    assert users.verify(path, "maria", "wrong password!") is None
    assert users.verify(path, "nobody", PASSWORD) is None

    run("users", "passwd", "maria", "--db", str(store), input="another long secret\n")
    assert users.verify(path, "maria", PASSWORD) is None
    assert users.verify(path, "maria", "another long secret") is not None
    assert run("users", "role", "maria", "editor", "--db", str(store)).exit_code == 0
    assert users.load(path)["maria"].role == "editor"
    assert run("users", "remove", "maria", "--db", str(store)).exit_code == 0
    assert users.load(path) == {}


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["bob", "--role", "viewer"], "short\n", "error: a password needs at least 10 characters"),
        (["bad name", "--role", "viewer"], PASSWORD + "\n",
         "error: 'bad name' is not a login name (use letters, digits and . _ - @, at most 64)"),
    ],
)  # fmt: skip
def test_bad_users_are_refused_with_one_line(tmp_path, args, password, message):
    result = run("users", "add", *args, "--db", str(tmp_path / "s.duckdb"), input=password)
    assert (result.exit_code, result.stderr) == (1, message + "\n")
    assert not users.users_file(tmp_path / "s.duckdb").exists()


def test_roles_are_ordered():
    assert users.allows("editor", "analyst") and users.allows("analyst", "viewer")
    assert not users.allows("viewer", "analyst") and not users.allows(None, "viewer")


def test_the_command_line_records_the_os_user_as_who_appended(seeded):
    """No login on the machine itself: `tracker append` records the OS user (the dashboard's
    upload records the login: tests/test_login.py)."""
    import getpass

    from tracker import db, paths

    example = paths.ROOT / "examples" / "cn_trade_2025-06.csv"
    result = run("append", str(example), "--db", str(seeded), "--source", "China customs (GAC)",
                 "--published", "2025-07-14")  # fmt: skip
    assert result.exit_code == 0, result.stderr

    with db.reader(seeded) as con:
        [(who,)] = con.execute(
            "SELECT ingested_by FROM releases ORDER BY release_id DESC LIMIT 1"
        ).fetchall()
    assert who == getpass.getuser()


def test_a_lake_names_its_users_file_with_tracker_users(monkeypatch, tmp_path):
    spec = "ducklake:postgres:dbname=lake host=127.0.0.1"
    monkeypatch.delenv("TRACKER_USERS", raising=False)
    with pytest.raises(users.UserError) as caught:
        users.users_file(spec)
    assert caught.value.message == (
        "error: a lake keeps no users file beside it: name one with "
        "TRACKER_USERS=/path/users.json (the same file for every server of the lake)"
    )
    monkeypatch.setenv("TRACKER_USERS", str(tmp_path / "team.users.json"))
    assert users.users_file(spec) == tmp_path / "team.users.json"
