from dbfixtures import db_url, runtime, sqlite_runtime, sqlite_url  # noqa: F401
