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
  {"op": "sql", "verb": "upgrade" | "downgrade", "range": "A:B"}
      -> {"ok": bool, "error": str | null, "steps": [[verb, rev], ...]}
         (`alembic upgrade|downgrade A:B --sql`: the steps the offline
         script runs, from a database taken to be at A)
  {"op": "history", "range": "A:B", "current": [...]}
      -> {"ok": bool, "error": str | null, "revisions": [...]}
         (`alembic history -r A:B` with the database at `current`)
  {"op": "show", "rev": "...", "current": [...]}
      -> {"ok": bool, "error": str | null, "revisions": [...]}
         (`alembic show REV`: the revisions whose entries it prints)

The "graph" answer also holds "labels": {id: [branch labels Alembic shows]}.

Revisions are in-memory `Revision` objects in a `RevisionMap` (no files), and
each command runs Alembic's own `ScriptDirectory._upgrade_revs`,
`_downgrade_revs` or `_stamp_revs` inside a `MigrationContext` on an
in-memory SQLite database, exactly as `command.upgrade` / `downgrade` /
`stamp` do through env.py. Each command runs in one transaction, so a
command that fails leaves the version table as it was.
"""

import io
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


def offline(directory, verb, rev_range):
    """`command.upgrade` / `command.downgrade` with `sql=True`: the range's
    start is the database's state, the steps are recorded as they run."""
    starting_rev, destination = rev_range.split(":", 2)
    steps = []

    def record(ctx, step, heads, run_args):
        steps.append(["upgrade" if step.is_upgrade else "downgrade", step.up_revision_id])

    if verb == "upgrade":
        fn = lambda rev, context: directory._upgrade_revs(destination, rev)
    else:
        fn = lambda rev, context: directory._downgrade_revs(destination, rev)
    context = MigrationContext.configure(
        dialect_name="sqlite",
        opts={
            "as_sql": True,
            "starting_rev": starting_rev or None,
            "destination_rev": destination,
            "fn": fn,
            "script": directory,
            "on_version_apply": [record],
            "output_buffer": io.StringIO(),
            "transactional_ddl": False,
        },
    )
    context.run_migrations()
    return steps


def history(directory, rev_range, current):
    """`command.history`: `current` in the range stands for the database's
    heads (a tuple, as `run_env` hands them over)."""
    base, head = rev_range.strip().split(":")
    rev = tuple(current)
    if head == "current":
        head = rev
    elif base == "current":
        base = rev
    return [
        sc.revision
        for sc in directory.walk_revisions(base=base or "base", head=head or "heads")
    ]


def show(directory, rev, current):
    """`command.show`: `current` is the database's heads."""
    if rev == "current":
        return [sc.revision for sc in directory.get_revisions(tuple(current))]
    return [sc.revision for sc in directory.get_revisions(rev)]


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
        labels = {
            rev.revision: sorted(rev.branch_labels)
            for rev in revision_map._revision_map.values()
            if rev is not None
        }
        return {"heads": heads, "branches": branches, "labels": labels}
    if op in ("sql", "history", "show"):
        directory = SESSION["directory"]
        try:
            if op == "sql":
                found = offline(directory, request["verb"], request["range"])
            elif op == "history":
                found = history(directory, request["range"], request["current"])
            else:
                found = show(directory, request["rev"], request["current"])
        except Exception as exc:
            return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
        key = "steps" if op == "sql" else "revisions"
        return {"ok": True, "error": None, key: found}
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
