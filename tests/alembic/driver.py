"""Runs revision graphs and command sequences through Alembic itself.

The differential test (tests/tests/alembic_differential.rs) starts this script
once and talks to it over stdin/stdout, one JSON document per line:

  {"op": "graph", "graph": [{"id": "...", "down": [...], "deps": [...],
                             "labels": [...]}, ...]}
      -> {"heads": [...], "branches": [...]}       (a fresh, empty database)
  {"op": "check", "graph": [...]}
      -> {"ok": bool, "error": str | null}   (whether Alembic accepts the graph)
  {"op": "run", "verb": "upgrade" | "downgrade" | "stamp", "target": "...",
   "purge": bool (stamp --purge, optional)}
      -> {"ok": bool, "error": str | null, "current": [...], "applied": [...]}
  {"op": "reset", "heads": [...]}
      -> the same state answer, after writing exactly these version rows

Revisions are in-memory `Revision` objects in a `RevisionMap` (no files), and
each command runs Alembic's own `ScriptDirectory._upgrade_revs`,
`_downgrade_revs` or `_stamp_revs` inside a `MigrationContext` on an
in-memory SQLite database, exactly as `command.upgrade` / `downgrade` /
`stamp` do through env.py. Each command runs in one transaction, so a
command that fails leaves the version table as it was.
"""

import json
import sys
import types
import warnings

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script.base import ScriptDirectory
from alembic.script.revision import Revision, RevisionMap

warnings.simplefilter("ignore")

_NOOP = types.SimpleNamespace(upgrade=lambda: None, downgrade=lambda: None)


class Script(Revision):
    """A revision with the attributes a migration step reads."""

    module = _NOOP
    doc = ""
    longdoc = ""
    path = "<memory>"

    @property
    def log_entry(self):
        return self.revision


def tup(items):
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return tuple(items)


def script_directory(graph):
    def generate():
        for node in graph:
            yield Script(
                node["id"],
                tup(node["down"]),
                dependencies=tup(node["deps"]),
                branch_labels=tup(node["labels"]),
            )

    directory = ScriptDirectory.__new__(ScriptDirectory)
    directory.revision_map = RevisionMap(generate)
    return directory


def run(directory, engine, verb, target, purge=False):
    if purge:
        # `alembic stamp --purge`: the version table is emptied first, then
        # the target is stamped from no heads.
        with engine.begin() as connection:
            context = MigrationContext.configure(connection)
            context._ensure_version_table(purge=True)
    targets = tuple(target) if isinstance(target, list) else (target,)
    if verb == "upgrade":
        fn = lambda rev, context: directory._upgrade_revs(target, rev)
    elif verb == "downgrade":
        fn = lambda rev, context: directory._downgrade_revs(target, rev)
    else:
        fn = lambda rev, context: directory._stamp_revs(targets, rev)
    with engine.begin() as connection:
        context = MigrationContext.configure(
            connection, opts={"fn": fn, "transactional_ddl": False}
        )
        context.run_migrations()


def state(directory, engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        current = list(context.get_current_heads())
    revision_map = directory.revision_map
    applied = sorted(
        {
            rev.revision
            for rev in revision_map._get_ancestor_nodes(
                revision_map.get_revisions(tuple(current))
            )
        }
    )
    return sorted(current), applied


SESSION = {}


def answer_state():
    current, applied = state(SESSION["directory"], SESSION["engine"])
    return {"current": current, "applied": applied}


def handle(request):
    op = request["op"]
    if op == "check":
        try:
            directory = script_directory(request["graph"])
            directory.revision_map.heads
            directory.revision_map.get_revisions(tuple(directory.revision_map.heads))
        except Exception as exc:
            return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
        return {"ok": True, "error": None}
    if op == "graph":
        if "engine" in SESSION:
            SESSION["engine"].dispose()
        directory = script_directory(request["graph"])
        revision_map = directory.revision_map
        heads = sorted(revision_map.heads)
        branches = sorted(
            {
                rev.revision
                for rev in revision_map._revision_map.values()
                if rev is not None and rev.is_branch_point
            }
        )
        SESSION["directory"] = directory
        SESSION["engine"] = sa.create_engine("sqlite://")
        return {"heads": heads, "branches": branches}
    if op == "run":
        error = None
        try:
            run(
                SESSION["directory"],
                SESSION["engine"],
                request["verb"],
                request["target"],
                request.get("purge", False),
            )
        except Exception as exc:  # CommandError, RevisionError, AssertionError...
            error = "%s: %s" % (type(exc).__name__, exc)
        answer = answer_state()
        answer["ok"] = error is None
        answer["error"] = error
        return answer
    if op == "reset":
        with SESSION["engine"].begin() as connection:
            context = MigrationContext.configure(connection)
            context._ensure_version_table()
            table = context._version
            connection.execute(table.delete())
            for head in request["heads"]:
                connection.execute(table.insert().values(version_num=head))
        return answer_state()
    raise ValueError("unknown op %r" % op)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            answer = handle(json.loads(line))
        except Exception as exc:
            answer = {"fatal": "%s: %s" % (type(exc).__name__, exc)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
