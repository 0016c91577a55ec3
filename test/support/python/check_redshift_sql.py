"""Checks warehouse statements against Redshift's rules with sqlglot's Redshift dialect (a parser, not
regular expressions). The rules, with their Redshift documentation, are listed in
test/python/redshift-rules.test.ts; each violation names the rule id used there.

stdin:  {"batches": {"<name>": {"statements": [sql, ...], "fileColumns": [col, ...]}}}
        (fileColumns: the columns, in order, of the Parquet files the batch's COPY reads), or
        {"jobSql": {"sql": job SELECT, "dropped": [column, ...]}} for the columns a job writes
stdout: {"violations": [{"batch": name, "statement": index, "rule": id, "detail": text}],
         "parsed": {"<name>": ["Create", "Copy", ...]}}
"""

import json
import sys

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.redshift import Redshift
from sqlglot.errors import ParseError
from sqlglot.tokens import TokenType

# Statement kinds a load transaction may hold; anything else (VACUUM, CREATE DATABASE, external tables,
# procedural code) either cannot run inside a transaction block or has no place in a load.
ALLOWED_STATEMENTS = (exp.Create, exp.Copy, exp.Insert, exp.Update, exp.Delete, exp.Drop)
ALLOWED_CREATE_KINDS = {"TABLE", "SCHEMA"}
# Functions Redshift runs on the leader node only: a query that also reads user tables fails.
LEADER_NODE_CLOCK = {"NOW", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "CURRENT_TIME", "LOCALTIME", "TIMEOFDAY"}
# Window functions for which Redshift requires a frame clause once ORDER BY is given.
FRAMED_WINDOW_FUNCTIONS = (exp.Sum, exp.Count, exp.Avg, exp.Max, exp.Min, exp.FirstValue, exp.LastValue)
MAX_VARCHAR = 65535
MAX_CHAR = 4096
MAX_DECIMAL_PRECISION = 38
MAX_IDENTIFIER_BYTES = 127
T = exp.DataType.Type
PLAIN_TYPES = {T.BIGINT, T.INT, T.SMALLINT, T.DOUBLE, T.FLOAT, T.BOOLEAN, T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ}
QUERY_NODES = (exp.Select, exp.Update, exp.Delete)


def enclosing_query(node):
    """The SELECT / UPDATE / DELETE whose scope `node` belongs to."""
    parent = node.parent
    while parent is not None and not isinstance(parent, QUERY_NODES):
        parent = parent.parent
    return parent


def source_names(query):
    """Names (aliases, else table names) a query's own FROM / JOIN / USING / UPDATE / DELETE define."""
    names = set()
    sources = []
    if isinstance(query, exp.Select):
        if query.args.get("from_") or query.args.get("from"):
            sources.append((query.args.get("from_") or query.args.get("from")).this)
        sources.extend(join.this for join in query.args.get("joins") or [])
    else:
        sources.append(query.this)
        for key in ("from_", "from", "using"):
            value = query.args.get(key)
            if isinstance(value, exp.From):
                sources.append(value.this)
            elif isinstance(value, list):
                sources.extend(value)
        sources.extend(join.this for join in query.args.get("joins") or [])
    for source in sources:
        if isinstance(source, (exp.Table, exp.Subquery)):
            names.add(source.alias_or_name)
    return names


def own_columns(query):
    """Columns of `query` itself, not of the queries nested in it."""
    return [column for column in query.find_all(exp.Column) if enclosing_query(column) is query]


def check_correlation(subquery_root, violations):
    """Redshift decorrelates a correlated subquery only in known patterns (r_correlated_subqueries)."""
    query = subquery_root if isinstance(subquery_root, exp.Select) else subquery_root.find(exp.Select)
    if query is None:
        return
    outer = enclosing_query(subquery_root)
    local = source_names(query)
    correlated = [c for c in own_columns(query) if c.table and c.table not in local]
    for column in correlated:
        scope = outer
        while scope is not None and column.table not in source_names(scope):
            scope = enclosing_query(scope)
        if scope is None:
            violations.append(("correlated-subquery", f"{column.sql('redshift')} names no enclosing table"))
        elif scope is not outer:
            violations.append(("correlated-subquery", f"{column.sql('redshift')} skips a query block"))
        # The correlation must be `outer.col = local expression`, a conjunct of the subquery's WHERE.
        node, parent = column, column.parent
        while isinstance(parent, exp.Paren):
            node, parent = parent, parent.parent
        if not isinstance(parent, exp.EQ):
            violations.append(
                ("correlated-subquery", f"{column.sql('redshift')} is used in {parent.key.upper()}, not an equality")
            )
            continue
        up = parent.parent
        while isinstance(up, (exp.And, exp.Paren)):
            up = up.parent
        if not (isinstance(up, exp.Where) and up.parent is query):
            violations.append(
                ("correlated-subquery", f"{parent.sql('redshift')} is not a conjunct of the subquery's WHERE")
            )
    if not correlated:
        return
    if any(isinstance(window, exp.Window) for window in query.find_all(exp.Window)):
        violations.append(("correlated-subquery", "a correlated subquery holds a window function"))
    holder = subquery_root.parent
    while holder is not None and holder is not outer:
        if isinstance(holder, exp.Join):
            violations.append(("correlated-subquery", "a correlated subquery in a JOIN's ON clause"))
        holder = holder.parent
    if isinstance(subquery_root.parent, exp.In) and query.args.get("group"):
        violations.append(("correlated-subquery", "a correlated IN subquery with GROUP BY"))


def check_statement(sql, copy_columns, created_tables, violations):
    try:
        statements = sqlglot.parse(sql, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
    except ParseError as error:
        violations.append(("parses", str(error).splitlines()[0]))
        return None
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        violations.append(("parses", f"{len(statements)} statements in one string"))
        return None
    tree = statements[0]
    if isinstance(tree, exp.Command) or not isinstance(tree, ALLOWED_STATEMENTS):
        violations.append(("statement-kinds", f"{type(tree).__name__}: {sql[:60]}"))
    if isinstance(tree, exp.Create) and tree.kind not in ALLOWED_CREATE_KINDS:
        violations.append(("statement-kinds", f"CREATE {tree.kind}"))
    for node in tree.find_all(exp.Transaction, exp.Commit, exp.Rollback):
        violations.append(("statement-kinds", f"{type(node).__name__} inside the batch's transaction"))

    for merge in tree.find_all(exp.Merge):
        violations.append(("no-merge", merge.sql("redshift")[:80]))
    for node in tree.find_all(exp.NullSafeEQ, exp.NullSafeNEQ):
        violations.append(("no-is-distinct-from", node.sql("postgres")[:80]))
    for node in tree.find_all(exp.Filter):
        violations.append(("no-aggregate-filter", node.sql("postgres")[:80]))
    for node in tree.find_all(exp.OnConflict, exp.Returning):
        violations.append(("no-upsert-returning", node.sql("postgres")[:80]))

    for node in tree.find_all(exp.Exists, exp.Subquery):
        if isinstance(node, exp.Subquery) and isinstance(node.parent, (exp.From, exp.Join)):
            continue  # a derived table, not a subquery expression
        check_correlation(node, violations)
    for node in tree.find_all(exp.In):
        query = node.args.get("query")
        if query is not None:
            if isinstance(node.parent, exp.Not):
                violations.append(("correlated-subquery", "NOT IN (subquery) is null-sensitive"))
            check_correlation(query, violations)

    for token in Redshift().tokenize(sql):
        if token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER) and token.text.upper() in LEADER_NODE_CLOCK:
            violations.append(("clock", f"{token.text} runs on the leader node only; use GETDATE()"))

    for window in tree.find_all(exp.Window):
        function = window.this
        if isinstance(function, FRAMED_WINDOW_FUNCTIONS) and window.args.get("order") and not window.args.get("spec"):
            violations.append(("window-frame", window.sql("redshift")[:80]))

    for data_type in tree.find_all(exp.DataType):
        problem = type_problem(data_type)
        if problem:
            violations.append(("types", problem))
    for identifier in tree.find_all(exp.Identifier):
        if len(identifier.name.encode()) > MAX_IDENTIFIER_BYTES:
            violations.append(("identifiers", f"{identifier.name[:40]}... is longer than 127 bytes"))
    # A string literal must mean the same on Redshift (backslash escapes) as on PostgreSQL and DuckDB.
    on_redshift = [t.text for t in Redshift().tokenize(sql) if t.token_type == TokenType.STRING]
    on_postgres = [t.text for t in Postgres().tokenize(sql) if t.token_type == TokenType.STRING]
    for redshift_text, postgres_text in zip(on_redshift, on_postgres):
        if redshift_text != postgres_text:
            violations.append(("literals", f"'{postgres_text[:40]}' reads as {redshift_text[:40]!r} on Redshift"))

    if isinstance(tree, exp.Create) and tree.kind == "TABLE" and isinstance(tree.this, exp.Schema):
        name = tree.this.this.name
        created_tables[name] = [column.name for column in tree.this.expressions if isinstance(column, exp.ColumnDef)]
    if isinstance(tree, exp.Copy):
        check_copy(tree, copy_columns, created_tables, violations)
    return type(tree).__name__


def type_problem(data_type):
    kind = data_type.this
    params = [p.this for p in data_type.expressions if isinstance(p, exp.DataTypeParam)]
    numbers = [int(p.name) for p in params if isinstance(p, exp.Literal)]
    if kind in PLAIN_TYPES and not numbers:
        return None
    if kind == T.VARCHAR:
        if len(numbers) != 1:
            return "VARCHAR without a length is VARCHAR(256) on Redshift; give the length"
        return None if 1 <= numbers[0] <= MAX_VARCHAR else f"VARCHAR({numbers[0]}) exceeds {MAX_VARCHAR} bytes"
    if kind == T.CHAR:
        return None if len(numbers) == 1 and numbers[0] <= MAX_CHAR else f"CHAR({numbers}) is not a Redshift CHAR"
    if kind == T.DECIMAL:
        if len(numbers) == 2 and 1 <= numbers[0] <= MAX_DECIMAL_PRECISION and 0 <= numbers[1] <= numbers[0]:
            return None
        return f"DECIMAL{tuple(numbers)} is not a Redshift DECIMAL(p <= 38, s <= p)"
    return f"{data_type.sql('redshift')} is not among the Redshift types the generators may use"


def check_copy(copy, copy_columns, created_tables, violations):
    if isinstance(copy.this, exp.Schema):
        violations.append(("copy-by-position", "a column list; COPY from Parquet maps columns by position"))
        return
    params = {p.this.name.upper(): p.expression.name.upper() if p.expression else "" for p in copy.args["params"]}
    if params.get("FORMAT") != "PARQUET":
        violations.append(("copy-by-position", f"FORMAT {params.get('FORMAT')}, expected FORMAT AS PARQUET"))
    credentials = copy.args.get("credentials")
    if credentials is None or credentials.args.get("iam_role") is None:
        violations.append(("copy-by-position", "COPY without IAM_ROLE"))
    table = copy.this.name
    if table not in created_tables:
        violations.append(("copy-by-position", f"COPY into {table}, which the batch did not create"))
        return
    expected = copy_columns
    if expected is None:
        violations.append(("copy-by-position", f"no file columns given for the COPY into {table}"))
    elif created_tables[table] != expected:
        violations.append(
            (
                "copy-by-position",
                f"{table} has columns {created_tables[table]} but its Parquet files hold {expected}, by position",
            )
        )


def output_columns(job_sql, dropped):
    """The columns a job's SELECT writes, in order (Spark SQL dialect, as Glue / EMR run it)."""
    select = sqlglot.parse_one(job_sql, read="spark")
    return [name for name in select.named_selects if name not in dropped]


def main():
    request = json.load(sys.stdin)
    if "jobSql" in request:
        job = request["jobSql"]
        json.dump({"columns": output_columns(job["sql"], set(job.get("dropped", [])))}, sys.stdout)
        return
    violations, parsed = [], {}
    for name, batch in request["batches"].items():
        created_tables = {}
        parsed[name] = []
        for index, sql in enumerate(batch["statements"]):
            found = []
            parsed[name].append(check_statement(sql, batch.get("fileColumns"), created_tables, found))
            violations.extend({"batch": name, "statement": index, "rule": r, "detail": d} for r, d in found)
    json.dump({"violations": violations, "parsed": parsed}, sys.stdout)


if __name__ == "__main__":
    main()
