"""The embedded PostgreSQL used when no database is configured: real server, data kept across restarts."""

import asyncpg

from ansinh.local import EmbeddedPostgres


async def query(url: str, sql: str):
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def test_data_survives_a_restart(tmp_path):
    tmp_path.chmod(0o755)  # the server runs as an unprivileged user when tests run as root
    first = EmbeddedPostgres("pg", var=tmp_path)
    with first as url:
        assert first.started_here
        version = (await query(url, "SHOW server_version"))[0][0]
        assert int(version.split(".")[0]) >= 16
        await query(url, "CREATE TABLE kept (name text)")
        await query(url, "INSERT INTO kept VALUES ('Nguyễn Thị Lan')")
    # Stopped on exit: a new handle starts it again and finds the row.
    second = EmbeddedPostgres("pg", var=tmp_path)
    with second as url:
        assert second.started_here
        assert [r[0] for r in await query(url, "SELECT name FROM kept")] == ["Nguyễn Thị Lan"]
