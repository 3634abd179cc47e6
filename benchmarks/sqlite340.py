"""What an older SQLite can still do with a register (docs/rules.md §3).

    /usr/bin/python3 benchmarks/sqlite340.py REGISTER

Run it with the system's Python, whose `sqlite3` module is built on the system's SQLite
(3.40.1 on Debian 12): this is the one script where the standard library's module is
the point, so it imports nothing of lautex. REGISTER is a register migrated to 17 (FTS5
`secure-delete` on); after its first erasure its search index is FTS5 format 5. Every
statement runs on a fresh copy of REGISTER beside it; prints ok or the error of each.
"""

import shutil
import sqlite3
import sys
from pathlib import Path

OPS = [
    ("read customers", "SELECT count(*), max(last_name) FROM customers"),
    ("read orders with their customers",
     "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id"),
    ("PRAGMA integrity_check", "PRAGMA integrity_check"),
    ("PRAGMA quick_check", "PRAGMA quick_check"),
    ("LIKE scan of search_text", "SELECT count(*) FROM customers WHERE search_text LIKE '%vir%'"),
    ("search through the index (MATCH)",
     "SELECT count(*) FROM customer_search WHERE customer_search MATCH '\"vir\" AND \"irt\"'"),
    ("read the index's shadow table", "SELECT count(*) FROM customer_search_data"),
    ("insert a customer (the trigger writes the index)",
     "INSERT INTO customers (first_name, last_name, source, language, country, search_text, "
     "created_at, updated_at, last_activity, state) VALUES ('Plain', 'Client', 'partner', 'fi', "
     "'FI', 'plain client', 'x', 'x', '2026-11-25', 'active')"),
    ("update a customer's city", "UPDATE customers SET city = 'Espoo' WHERE id = "
     "(SELECT min(id) FROM customers)"),
    ("update a customer's last name (the trigger calls finnish(), migration 19)",
     "UPDATE customers SET last_name = 'Plain' WHERE id = (SELECT min(id) FROM customers)"),
    ("update a customer's search_text", "UPDATE customers SET search_text = search_text || ' x' "
     "WHERE id = (SELECT min(id) FROM customers WHERE search_text IS NOT NULL)"),
    ("delete a customer (the trigger deletes from the index)",
     "DELETE FROM customers WHERE id = (SELECT max(id) FROM customers)"),
    ("insert an order", "INSERT INTO orders (number, customer_id, order_date, channel, "
     "created_at) VALUES ('PLAIN-1', (SELECT min(id) FROM customers), '2026-11-25', 'web-store', "
     "'x')"),
    ("update meta", "UPDATE meta SET value = value WHERE key = 'created_at'"),
    ("insert an audit row", "INSERT INTO audit_log (at, user_id, username, action, entity, "
     "entity_id, details_json, prev_hash, hash) VALUES ('x', NULL, 'plain', 'x', 'x', NULL, "
     "'{}', 'x', 'x')"),
    ("VACUUM", "VACUUM"),
    ("VACUUM INTO a copy", "VACUUM INTO 'FOLDER/vacuumed.db'"),
    ("FTS5 optimize", "INSERT INTO customer_search(customer_search) VALUES('optimize')"),
    ("FTS5 rebuild", "INSERT INTO customer_search(customer_search) VALUES('rebuild')"),
]  # fmt: skip


def fresh_copy(register: Path) -> Path:
    work = register.with_name("sqlite340-work.db")
    for path in (work, Path(f"{work}-wal"), Path(f"{work}-shm"), work.with_name("vacuumed.db")):
        path.unlink(missing_ok=True)
    shutil.copyfile(register, work)
    return work


def attempt(work: Path, sql: str) -> str:
    conn = sqlite3.connect(work, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        writes = not sql.startswith(("SELECT", "PRAGMA", "VACUUM"))
        if writes:
            conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(sql.replace("FOLDER", str(work.parent))).fetchall()
        if writes:
            conn.execute("COMMIT")
        return f"ok    {str(rows)[:50]}"
    except sqlite3.Error as exc:
        return f"FAIL  {exc}"
    finally:
        conn.close()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    register = Path(sys.argv[1])
    conn = sqlite3.connect(f"file:{register}?mode=ro", uri=True)
    config = dict(conn.execute("SELECT k, v FROM customer_search_config").fetchall())
    conn.close()
    print(f"SQLite {sqlite3.sqlite_version}; the index's config: {config}")
    for label, sql in OPS:
        print(f"{label:<55} {attempt(fresh_copy(register), sql)}")
    fresh_copy(register).unlink()


if __name__ == "__main__":
    main()
