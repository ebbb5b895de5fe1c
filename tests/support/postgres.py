"""A PostgreSQL server of the tests' own: scripts/system_deps.sh postgresql installs it when missing (as
root; CI runs as root); the server is initdb'ed into a temporary directory and started with pg_ctl on
a free loopback port, as the `postgres` user when the tests run as root (PostgreSQL refuses to run as
root), with password authentication. stop() stops and deletes it. The `postgres` fixture
(tests/staff/conftest.py) holds one for the session."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.servers import ROOT, free_port


@dataclass
class Postgres:
    bindir: Path
    root: Path
    port: int
    user: str
    password: str
    run_as: list = field(default_factory=list)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user,
                                      password=self.password, dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> Postgres:
    installed = subprocess.run([str(ROOT / "scripts" / "system_deps.sh"), "postgresql"], capture_output=True, text=True)
    if installed.returncode != 0:
        pytest.fail(f"PostgreSQL is needed for the staff console tests: {installed.stderr.strip()}")
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not bindirs:
        pytest.fail("PostgreSQL is installed but no /usr/lib/postgresql/*/bin/initdb was found")
    bindir = bindirs[-1].parent
    root = Path(tempfile.mkdtemp(prefix="staff-pg-"))
    run_as: list = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    os.chmod(root, 0o700)
    password = secrets.token_hex(12)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if run_as:
        shutil.chown(pwfile, "postgres", "postgres")
    server = Postgres(bindir, root, free_port(), "rasa", password, run_as)
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(root / "data"), "-U", "rasa", f"--pwfile={pwfile}",
                    "-A", "scram-sha-256", "-E", "UTF8", "--no-locale"], check=True, capture_output=True)
    started = subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-t", "60",
         "-o", f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
        capture_output=True, text=True)
    if started.returncode != 0:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {started.stdout}{started.stderr}{log}")
    return server
