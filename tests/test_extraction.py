"""What is a query, and where it is: execution calls, templates, named-query files, function bodies,
JS/TS query builders, dialect-aware splitting.  Inputs mirror real projects (procrastinate,
pgqueuer, aiosql users, pg-promise's massive, graphile-worker, pg_dump output)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from advisor.parse import (
    ParseFailure,
    has_text_template,
    parse_sql,
    substitute_templates,
)
from advisor.sources import extract
from advisor.sources.python import extract_python
from advisor.sources.sql_files import extract_sql, split_statements


def texts(queries):
    return [q.text for q in queries]


# --- class 1: a query is what reaches an execution call ---------------------------------------

PY_REACH = '''
"""Select the jobs FROM the queue: a module docstring is prose."""
from psycopg import sql

FETCH_SQL = "SELECT id FROM jobs WHERE status = 'todo' LIMIT 1"
COMPLETION_WORDS = "SELECT * FROM pg_catalog.pg_class"   # a completer's test input, never executed
QUERIES = {"stats": "SELECT status, count(*) FROM jobs GROUP BY status"}


class Repo:
    DELETE = "DELETE FROM jobs WHERE id = %(id)s"

    def remove(self, cur, job_id):
        """Delete FROM the table: a docstring is never a query."""
        cur.execute(self.DELETE, {"id": job_id})

    def stats(self, conn):
        return conn.fetch(QUERIES["stats"])

    def _run(self, conn, query, *args):
        return conn.fetchrow(query, *args)

    def one(self, conn):
        return self._run(conn, "SELECT id FROM workers WHERE id = $1", 3)

    def build(self):
        return "UPDATE jobs SET status = 'doing' WHERE id = $1"

    def claim(self, conn):
        return conn.execute(self.build(), 1)


def fetch(cur):
    cur.execute(FETCH_SQL)
    print("SELECT name FROM users WHERE the user is shown")
    log.debug("UPDATE users SET x = 1 WHERE y = 2")
    cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier("jobs")), (1,))
'''


def test_only_text_that_reaches_an_execution_call_is_a_query():
    found = {q.text: q for q in extract_python("repo.py", PY_REACH).queries}
    assert set(found) == {
        "SELECT id FROM jobs WHERE status = 'todo' LIMIT 1",
        "SELECT status, count(*) FROM jobs GROUP BY status",
        "DELETE FROM jobs WHERE id = %(id)s",
        "SELECT id FROM workers WHERE id = $1",
        "UPDATE jobs SET status = 'doing' WHERE id = $1",
        'SELECT * FROM "jobs" WHERE id = %s',  # the composition, its identifier as psycopg quotes it
    }
    assert found["SELECT id FROM workers WHERE id = $1"].origin == "execute-call"  # through the helper _run
    assert found["DELETE FROM jobs WHERE id = %(id)s"].origin == "constant-reaching-call"
    assert found["UPDATE jobs SET status = 'doing' WHERE id = $1"].origin == "constant-reaching-call"
    assert found["SELECT id FROM jobs WHERE status = 'todo' LIMIT 1"].origin == "constant-reaching-call"
    assert found['SELECT * FROM "jobs" WHERE id = %s'].complete  # every piece known
    assert found["DELETE FROM jobs WHERE id = %(id)s"].complete


def test_constant_named_as_sql_counts_even_when_executed_elsewhere():
    text = 'GET_USER_SQL = "SELECT id, name FROM users WHERE id = %s"\nHELP = "SELECT a FROM b is how you read"\n'
    queries = extract_python("repository.py", text).queries
    assert texts(queries) == ["SELECT id, name FROM users WHERE id = %s"]
    assert queries[0].origin == "named-constant"


def test_string_building_names_what_was_spliced_in():
    text = 'def f(cur, table, uid):\n    cur.execute(f"SELECT * FROM {table} WHERE id = {uid}")\n'
    built = extract_python("a.py", text).string_built
    assert [(b.how, b.interpolated) for b in built] == [("f-string", ("table", "uid"))]


# --- class 2: templates are not parse errors -------------------------------------------------


def test_templates_become_same_length_placeholders_outside_strings():
    cases = [
        "SELECT id FROM {table} WHERE a = {} AND b = {name} AND j = '{}'::jsonb",
        "SELECT * FROM :SCHEMA.jobs WHERE q = :'queue' AND w = :\"col\" AND x = :x::int",
        "SELECT a\\:\\:int FROM t WHERE b = %(b)s",
        "CREATE INDEX idx_${index^} ON ${schema~}.${table~} USING GIN(body jsonb_path_ops)",
        "select {{ col }} from {{ ref('x') }} {% if a %} where a = 1 {% endif %}",
    ]
    for text in cases:
        substituted = substitute_templates(text)
        assert len(substituted) == len(text)
        assert not isinstance(parse_sql(text), ParseFailure), text
    assert "'{}'::jsonb" in substitute_templates(cases[0])  # a JSON literal is not a template


def test_a_parse_failure_points_into_the_original_text():
    text = "SELECT id FROM {table} WHERE a = {value} AND AND b = 1"
    failure = parse_sql(text)
    assert isinstance(failure, ParseFailure) and failure.templated
    assert text[failure.offset - 3:failure.offset + 3].count("AND") >= 1


@given(st.lists(st.sampled_from(["id", "q", "ts"]), min_size=1, max_size=4), st.sampled_from([",", "::int,", " ,", "::text ,"]))
@settings(max_examples=30, deadline=None)
def test_positional_parameters_glued_to_the_next_token_parse_with_positions_in_the_text(columns, glue):
    # pgstac: `COALESCE($1,$2)`, `WHERE id=$1` (sqlglot reads `$1,$` as a dollar-quote tag and fails)
    conditions = " AND ".join(f"{c}=${i + 1}" for i, c in enumerate(columns))
    text = f"SELECT COALESCE($8{glue}$9)=$7 FROM jobs WHERE {conditions} AND last = 3"
    tree = parse_sql(text)
    assert not isinstance(tree, ParseFailure), text
    spans = {text[n.meta["start"]:n.meta["end"] + 1] for n in tree.walk() if n._meta and "start" in n._meta}
    assert set(columns) | {"jobs", "last", "3"} <= spans  # every offset still points at its own text


def test_a_statement_sqlglot_crashes_on_when_retried_is_a_parse_failure():
    # Databricks' try-cast `1?::INT` read as PostgreSQL: the retry with `? ::` made sqlglot raise a TypeError
    assert isinstance(parse_sql("SELECT 1?::INT"), ParseFailure)


def test_a_variable_of_one_letter_before_a_cast_parses():
    sql = ("CREATE FUNCTION qualify(url text, j jsonb) RETURNS jsonb AS $$\n"
           "    SELECT replace(j::text, '\"$ref\": \"#', '\"$ref\": \"' || url || '#')::jsonb;\n"
           "$$ LANGUAGE SQL IMMUTABLE;\n")
    body = [q for q in extract("f.sql", sql, "postgres").queries if q.text.lstrip().upper().startswith("SELECT")]
    assert body and not isinstance(parse_sql(body[0].text), ParseFailure)


def test_a_for_in_inside_a_string_of_a_function_body_declares_no_variable():
    # pgstac check_partition: format($q$ ... FOR VALUES IN (%L) ... $q$, ...) then INSERT ... VALUES (...)
    sql = ("CREATE FUNCTION part(_c text) RETURNS text AS $$\nDECLARE q text;\nBEGIN\n"
           "    q := format($q$ CREATE TABLE IF NOT EXISTS %I PARTITION OF items FOR VALUES IN (%L); $q$, _c, _c);\n"
           "    INSERT INTO stats (partition, collection) VALUES (_c, _c);\n"
           "    RETURN _c;\nEND;\n$$ LANGUAGE plpgsql;\n")
    inserts = [q for q in extract("f.sql", sql, "postgres").queries if "INSERT INTO stats" in q.text]
    assert inserts and "VALUES" in inserts[0].text and not isinstance(parse_sql(inserts[0].text), ParseFailure)


def test_valid_postgresql_sqlglot_cannot_read_is_marked_unsupported():
    for text in ("LISTEN procrastinate_any_queue_v1", "NOTIFY jobs, 'x'", "DISCARD ALL", "CLUSTER jobs",
                 "DEALLOCATE ALL", "ANALYSE jobs",
                 "CREATE FUNCTION f(a int = 1) RETURNS int LANGUAGE sql AS $$ SELECT a $$"):
        failure = parse_sql(text)
        assert isinstance(failure, ParseFailure) and failure.unsupported, text
    assert not isinstance(parse_sql("SELECT oid::regtype[] FROM pg_type"), ParseFailure)
    assert not parse_sql("SELECT FROM WHERE").unsupported  # a real error stays one


def test_a_table_named_values_is_a_name_where_postgresql_reads_one():
    # holdout 60's konsumation schema: `CREATE TABLE values (...)`, then `SELECT * FROM values WHERE meter_id=$1`:
    # VALUES is a keyword PostgreSQL lets a table take as its name; a VALUES list stays one
    named = {
        "CREATE TABLE\nvalues\n (meter_id INT NOT NULL, date TIMESTAMP NOT NULL, PRIMARY KEY (meter_id, date))": "values",
        "SELECT * FROM values WHERE meter_id = $1": "values",
        "DELETE FROM values WHERE meter_id = $1 AND date = $2": "values",
        "INSERT INTO values (meter_id) VALUES ($1)": "values",
        "CREATE INDEX IF NOT EXISTS v ON values (date)": "values",
        "SELECT * FROM public.values v JOIN values w ON v.meter_id = w.meter_id": "values",
    }
    for text, table in named.items():
        tree = parse_sql(text)
        assert not isinstance(tree, ParseFailure), text
        assert {t.name for t in tree.find_all(exp.Table)} == {table}, text
    for text in ("SELECT * FROM (VALUES (1), (2)) AS v(x)", "INSERT INTO t DEFAULT VALUES", "INSERT INTO t VALUES (1)"):
        tree = parse_sql(text)
        assert not isinstance(tree, ParseFailure) and "values" not in {t.name for t in tree.find_all(exp.Table)}, text


def test_extension_operators_and_grammar_sqlglot_lacks_are_unsupported_not_errors():
    # operators extensions define (pg_trgm, PostGIS, pgvector) and grammar sqlglot does not read
    for text in ("SELECT 'word' <% 'some word here'", "SELECT 'item' <<-> 'some item'", "SELECT a &&& b FROM t",
                 "SELECT id FROM items ORDER BY embedding <+> '[3,1,2]' LIMIT 5", "SELECT g ~= h FROM t",
                 "DELETE FROM tasks WHERE CURRENT OF c_tasks", "SELECT * FROM t ORDER BY a USING <",
                 "INSERT INTO t (id) OVERRIDING SYSTEM VALUE VALUES (1)", "DROP INDEX a, b",
                 "SELECT f(VARIADIC p => ARRAY[1, 2])", "SELECT 1_000_000.0_1"):
        failure = parse_sql(text)
        assert isinstance(failure, ParseFailure) and failure.unsupported, text
    # a real mistake next to ordinary operators stays the user's error (and an operator in a string is text)
    for text in ("SELECT a FROM t WHERE a = = 1", "SELECT a FROM t WHERE a=-1 AND AND",
                 "SELECT a FROM t WHERE x || y AND AND", "SELECT a FROM t WHERE b = 'x %> y' AND AND",
                 "SELECT a FROM t WHERE j @> '{}' AND AND"):
        failure = parse_sql(text)
        assert isinstance(failure, ParseFailure) and not failure.unsupported, text


def test_has_text_template_ignores_bind_parameters_and_strings():
    assert not has_text_template("SELECT * FROM t WHERE a = $1 AND b = %s AND c = :c AND d = '{x}'")
    assert has_text_template("SELECT * FROM {table}") and has_text_template("SELECT :'v'")
    assert has_text_template("SELECT * FROM :SCHEMA.jobs") and not has_text_template("SELECT a::text, :b")


def test_named_query_file_without_semicolons_is_split_at_name_lines():
    text = (
        "-- name: get-user^\n-- Get one user\nSELECT id, name FROM users WHERE id = :id\n\n"
        "-- name: list-users\nSELECT id FROM users ORDER BY id\n\n"
        "-- name: add-user<!\nINSERT INTO users (name) VALUES (:name) RETURNING id;\n"
    )
    queries = extract_sql("users.sql", text)
    assert texts(queries) == ["SELECT id, name FROM users WHERE id = :id", "SELECT id FROM users ORDER BY id",
                              "INSERT INTO users (name) VALUES (:name) RETURNING id"]
    assert [q.location.line for q in queries] == [3, 6, 9]


def test_procrastinate_style_query_names_cut_statements():
    text = ("-- list_jobs --\n-- Get jobs\nSELECT id FROM procrastinate_jobs WHERE (%(q)s::varchar IS NULL OR "
            "queue_name = %(q)s)\n\n-- register_worker --\nSELECT * FROM procrastinate_register_worker_v1()\n")
    assert [q.location.line for q in extract_sql("queries.sql", text)] == [3, 6]


def test_bom_and_copy_data_never_shift_or_swallow_statements():
    text = ("\ufeffSET client_encoding = 'UTF8';\n"
            "COPY public.jobs (id, args) FROM stdin;\n1\t{\"a\": \"it's; here\"}\n2\t\\N\n\\.\n\n"
            "SELECT id FROM jobs;\n")
    queries = extract_sql("dump.sql", text)
    assert texts(queries) == ["SET client_encoding = 'UTF8'", "COPY public.jobs (id, args) FROM stdin",
                              "SELECT id FROM jobs"]
    assert [(q.location.line, q.location.col) for q in queries] == [(1, 1), (2, 1), (7, 1)]


def test_dollar_tag_bodies_are_not_split():
    text = "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $fn$ SELECT 'a;b' $fn$;\nSELECT 2;"
    outer = [q for q in extract_sql("f.sql", text) if q.origin == "sql-file"]
    assert texts(outer) == ["CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $fn$ SELECT 'a;b' $fn$", "SELECT 2"]


# --- dialect-aware splitting (issue 13) -------------------------------------------------------


def test_each_dialect_splits_with_its_own_tokenizer():
    text = r"SELECT 'it\'s; ok' FROM t; SELECT 2"
    assert [text[s:e] for s, e in split_statements(text, "mysql")] == [r"SELECT 'it\'s; ok' FROM t", "SELECT 2"]
    assert len(split_statements(text, "postgres")) == 2 and split_statements(text, "postgres")[0][1] < 15
    backquoted = "SELECT `a;b` FROM t; SELECT 3"
    assert len(split_statements(backquoted, "mysql")) == 2


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SELECT*from;'\"`$-/\n\\ x()")), max_size=60),
       st.sampled_from(["postgres", "mysql", "bigquery", "sqlite", "tsql", "snowflake"]))
def test_every_dialect_split_is_ordered_and_inside_the_text(text, dialect):
    last = -1
    for start, end in split_statements(text, dialect):
        assert 0 <= start <= end <= len(text) and start > last
        assert text[start:end].lstrip() == text[start:end]  # a statement starts at its first character
        last = end


# --- SQL inside function bodies ---------------------------------------------------------------

PLPGSQL = """CREATE FUNCTION procrastinate_finish_job(job_id bigint, end_status text, delete_job boolean)
    RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    _job_id bigint;
BEGIN
    IF delete_job THEN
        DELETE FROM procrastinate_jobs
        WHERE id = job_id AND status IN ('todo', 'doing')
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = end_status, attempts = attempts + 1
        WHERE id = job_id
        RETURNING id INTO _job_id;
    END IF;
    PERFORM pg_notify('jobs', job_id::text);
    RETURN;
END;
$$;
CREATE FUNCTION count_jobs(q text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM procrastinate_jobs WHERE queue_name = q;
$$;
"""


def test_statements_inside_function_bodies_are_queries_at_their_file_position():
    lines = PLPGSQL.splitlines()
    body = [q for q in extract_sql("schema.sql", PLPGSQL) if q.origin == "function-body"]
    assert [q.location.line for q in body] == [9, 13, 18, 23]
    for q in body:
        line = lines[q.location.line - 1]
        assert line[q.location.col - 1:].split()[0] in ("DELETE", "UPDATE", "PERFORM", "SELECT")
        assert not isinstance(parse_sql(q.text), ParseFailure), q.text
    delete, update, perform, count = body
    assert "INTO" not in delete.text and "job_id" not in delete.text  # variables are parameters
    assert "status = end_status" not in update.text and "SET status" in update.text
    assert perform.text.startswith("SELECT  pg_notify")  # PERFORM, seven characters, as SELECT
    assert count.text.endswith("queue_name = ?")  # a one-letter argument: the one-character parameter
    where = delete.text.index("WHERE")
    assert (delete.textmap.locate(where).line, delete.textmap.locate(where).col) == (10, 9)


def test_control_flow_is_not_a_query():
    text = "DO $$ BEGIN IF EXISTS (SELECT 1 FROM t) THEN RAISE NOTICE 'x'; END IF; END $$;"
    assert [q.origin for q in extract_sql("d.sql", text)] == ["sql-file"]


# --- JS/TS query builders ---------------------------------------------------------------------

JS_BUILDER = """
const SCHEMA = 'graphile_worker';
const TABLE = `${SCHEMA}.jobs`;
const FETCH_JOB_QUERY = `SELECT id FROM ${TABLE} WHERE locked_at IS NULL LIMIT 1`;
const help = "SELECT a column FROM the list to see it";

async function complete(client, ids, where) {
  await client.query(`DELETE FROM ${TABLE} WHERE id = ANY($1::bigint[])`, [ids]);
  await client.query(`SELECT * FROM ${TABLE} ${where}`);
}
"""


def test_js_template_literals_take_the_module_constants_and_placeholder_the_rest():
    result = extract("worker.js", JS_BUILDER)
    found = {q.text: q for q in result.queries}
    delete = found["DELETE FROM graphile_worker.jobs WHERE id = ANY($1::bigint[])"]
    assert not delete.dynamic and delete.complete
    dynamic = next(q for q in result.queries if q.text.startswith("SELECT * FROM graphile_worker.jobs"))
    assert dynamic.dynamic and not dynamic.complete
    assert [b.interpolated for b in result.string_built] == [("where",)]
    assert found["SELECT id FROM graphile_worker.jobs WHERE locked_at IS NULL LIMIT 1"].origin == "named-constant"
    assert not any("the list" in q.text for q in result.queries)
    where = delete.textmap.locate(delete.text.index("WHERE"))
    line = JS_BUILDER.splitlines()[where.line - 1]
    assert where.line == 8 and line[where.col - 1:].startswith("WHERE id = ANY")  # after the substituted ${TABLE}


def test_knex_raw_handed_to_a_builder_is_a_fragment_not_a_statement():
    """`.select(db.raw('count(*) as n'))` adds a fragment to the builder's statement: not a query of its own
    (unleash-server's select-list subqueries were parse errors), but what it interpolates is still checked;
    a raw() that is awaited or returned runs as a statement."""
    text = """async function counts(db, env) {
  const rows = await db('environments').select('*', db.raw('(SELECT COUNT(*) FROM api_tokens t WHERE t.env = environments.name) as n'),
    db.raw(`(SELECT max(seen_at) FROM seen WHERE env = '${env}') as last_seen`));
  return db.raw('SELECT id FROM environments WHERE name = ?', [env]);
}
"""
    result = extract("store.js", text)
    assert [q.text for q in result.queries] == ["SELECT id FROM environments WHERE name = ?"]
    assert [b.interpolated for b in result.string_built] == [("env",)]


def test_a_helper_that_runs_its_first_vararg_is_an_execution_call():
    # holdout 62's matrix-reminder-bot: `def _execute(self, *args)` runs `args[0].replace("?", "%s")` on postgres
    # (its placeholders rewritten for the driver): every `self._execute("...", params)` is a statement
    code = (
        "class Storage:\n"
        "    def _execute(self, *args):\n"
        "        if self.db_type == 'postgres':\n"
        "            self.cursor.execute(args[0].replace('?', '%s'), *args[1:])\n"
        "        else:\n"
        "            self.cursor.execute(*args)\n\n"
        "    def delete(self, room, text):\n"
        "        self._execute('DELETE FROM reminder WHERE room_id = ? AND text = ?', (room, text))\n\n"
        "    def note(self, text):\n"
        "        self._log('SELECT the text the user typed')\n\n"
        "    def _log(self, *args):\n"
        "        print(args[0].replace('?', '%s'))\n"
    )
    found = [(q.text, q.location.line) for q in extract_python("storage.py", code).queries]
    assert found == [("DELETE FROM reminder WHERE room_id = ? AND text = ?", 9)]


def test_js_helper_that_forwards_its_parameter_is_an_execution_call():
    text = """class PGMQ {
  executeQuery(query, params) {
    return n(this, null, function* () { const c = yield this.pool.connect(); return yield c.query(query, params); });
  }
  metrics(q) { const t = "SELECT * FROM pgmq.metrics($1)"; return this.executeQuery(t, [q]); }
  describe() { return "SELECT a FROM b is what the docs say"; }
}
const run = async (db, sql) => db.query(sql);
export async function count(db) { return run(db, "SELECT count(*) FROM jobs WHERE a = 1"); }
"""
    queries = extract("pgmq.ts", text).queries
    assert [(q.text, q.origin) for q in queries] == [
        ("SELECT * FROM pgmq.metrics($1)", "constant-reaching-call"),
        ("SELECT count(*) FROM jobs WHERE a = 1", "execute-call"),
    ]


def test_upper_case_constants_of_a_query_module_are_queries():
    text = 'SEND = "SELECT * FROM pgmq.send(queue_name=>%s::text, msg=>%s::jsonb);"\nVERSION = "1.4.0"\nHELP_TEXT = "no"\n'
    assert texts(extract_python("src/pgmq/_sql.py", text).queries) == [
        "SELECT * FROM pgmq.send(queue_name=>%s::text, msg=>%s::jsonb);"]
    assert extract_python("src/pgmq/client.py", text).queries == []


def test_words_inside_plpgsql_strings_and_comments_are_not_statements():
    text = ("CREATE FUNCTION v(routing_key text) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
            "    IF routing_key ~ '\\.$' THEN\n"
            "        RAISE EXCEPTION 'routing_key cannot end with a dot. Got: %', routing_key; -- END with a dot\n"
            "    END IF;\nEND;\n$$;")
    assert [q.origin for q in extract_sql("v.sql", text)] == ["sql-file"]


def test_a_dollar_quoted_string_inside_plpgsql_is_a_value_not_statements():
    # pgai's trigger builder: the trigger's text is a $def$ string with $NAME$ placeholders, filled by replace()
    text = ("CREATE FUNCTION build(queue_schema name) RETURNS text AS $func$\nDECLARE _def text;\nBEGIN\n"
            "    _def := $def$\n    begin\n        if (TG_OP = 'DELETE') then\n"
            "            insert into $QUEUE_SCHEMA$.$QUEUE_TABLE$ ($PK_COLUMNS$) values ($PK_VALUES$);\n"
            "        end if;\n    end;\n    $def$;\n"
            "    SELECT count(*) INTO _def FROM jobs WHERE schema_name = queue_schema;\n"
            "    RETURN _def;\nEND;\n$func$ LANGUAGE plpgsql;")
    bodies = [q.text.strip() for q in extract_sql("build.sql", text) if q.origin == "function-body"]
    assert len(bodies) == 1 and bodies[0].startswith("SELECT count(*)")


def test_a_named_argument_keeps_its_name_when_a_variable_has_it():
    # pgai: perform ai.sc_add_embedding(embedding_name=>_embedding_name, ...) inside a function whose variable
    # is named like the called routine's parameter
    text = ("CREATE FUNCTION f(embedding_name text) RETURNS void AS $$\nBEGIN\n"
            "    PERFORM ai.add(embedding_name=>embedding_name, config := embedding_name);\nEND;\n$$ LANGUAGE plpgsql;")
    (body,) = [q for q in extract_sql("f.sql", text) if q.origin == "function-body"]
    assert "embedding_name=>$1" in body.text and "config := $1" in body.text
    assert not isinstance(parse_sql(body.text), ParseFailure)


def test_arguments_qualified_by_the_function_name_are_parameters():
    text = ("create function :SCHEMA.add_job(identifier text, queue_name text) returns void as $$\n"
            "  insert into :SCHEMA.jobs (task_id, queue_id) select tasks.id, job_queues.id\n"
            "  from :SCHEMA.tasks left join :SCHEMA.job_queues on job_queues.queue_name = add_job.queue_name\n"
            "  where tasks.identifier = add_job.identifier;\n$$ language sql;")
    (body,) = [q for q in extract_sql("add_job.sql", text) if q.origin == "function-body"]
    assert "add_job" not in body.text and "job_queues.queue_name = $1" in body.text
    assert not isinstance(parse_sql(body.text), ParseFailure)


def test_fstrings_take_the_module_constants():
    text = ('TABLE = "procrastinate_jobs"\n\ndef f(cur, status, column):\n'
            '    cur.execute(f"SELECT id FROM {TABLE} WHERE status = %s", (status,))\n'
            '    cur.execute(f"SELECT {column} FROM {TABLE}")\n')
    result = extract_python("jobs.py", text)
    static, built = result.queries
    assert static.text == "SELECT id FROM procrastinate_jobs WHERE status = %s" and not static.dynamic
    assert built.dynamic and built.text == "SELECT {} FROM procrastinate_jobs"
    assert [b.interpolated for b in result.string_built] == [("column",)]


# --- how parse errors are reported ------------------------------------------------------------


def test_parse_errors_are_errors_only_for_sql_a_person_wrote(tmp_path, monkeypatch):
    from advisor import catalogue, engine

    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    (tmp_path / "listen.sql").write_text("SELECT lock FROM jobs GROUP BY lock, t::regtype[];\nLISTEN jobs;\n"
                                         "SELECT lock FROM jobs GROUP BY lock, u::regtype[];\nSELECT id FROM WHERE;\n")
    (tmp_path / "tpl.sql").write_text("CREATE TABLE s(\n  k $%AUTO_INCREMENT_PRIMARY_KEY%$,\n  v TEXT\n);\n"
                                      "SELECT {{ col }} FROM {% if x %} a {% else %} b {% endif %} WHERE;\n")
    (tmp_path / "app.py").write_text('"""Select the rows FROM a table, as prose."""\n'
                                     'def f(cur):\n    cur.execute("SELECT id FROM users WHERE")\n')
    (tmp_path / "db.d.ts").write_text("declare class Db {\n    executeSql(text: string, { signal }?: {\n"
                                      "        signal?: AbortSignal;\n    }): Promise<import(\"pg\").QueryResult<any>>;\n}\n")  # pg-boss
    monkeypatch.chdir(tmp_path)
    findings = engine.check(["."]).findings
    found = sorted((f.location.path, f.location.line, f.severity) for f in findings
                   if catalogue.lookup(f.rule).name == "parse-error")
    assert ("listen.sql", 4, "error") in found  # a real syntax error stays one
    # valid PostgreSQL the parser does not read: what advisor could not see, said once in the file as a coverage note
    assert ("listen.sql", 1, "info") in [(f.location.path, f.location.line, f.severity) for f in findings
                                         if catalogue.lookup(f.rule).name == "unread-statement"]
    assert not [x for x in found if x[0] == "listen.sql" and x[2] == "info"]
    assert all(severity == "info" for path, _, severity in found if path != "listen.sql")
    assert not any(path == "tpl.sql" and line == 1 for path, line, _ in found)  # the template parses
    assert not any(path == "db.d.ts" for path, _, _ in found)  # types only: what tree-sitter cannot read loses nothing
    # SQL in code advisor cannot read is a coverage note, once per file, not a parse error
    assert not any(p == "app.py" for p, _, _ in found)
    unread = [(f.location.path, f.location.line) for f in engine.check(["."]).findings
              if catalogue.lookup(f.rule).name == "unread-statement"]
    assert unread == [("app.py", 3), ("listen.sql", 1)]


def _offset(text: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + col - 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SELECT*from;'\"$-/\n\\ x()\ufeff{}:%")), max_size=80))
def test_extracted_statements_round_trip_to_the_file_text(text):
    """Every statement's position points at its own text in the file (BOM, comments, templates and all)."""
    for q in extract_sql("r.sql", text):
        if q.origin != "sql-file":
            continue
        start = _offset(text, q.location.line, q.location.col) + (1 if text.startswith("\ufeff") and
                                                                 q.location.line == 1 else 0)
        assert text[start:start + len(q.text)] == q.text


def test_a_comment_that_only_mentions_a_name_cuts_nothing():
    text = "CREATE TABLE users (\n  id int,\n  -- name: the display name\n  name text\n);\n-- name: get_user :one\nSELECT 1"
    assert [q.location.line for q in extract_sql("s.sql", text)] == [1, 7]
    pugsql = "-- :name find_user :one\nSELECT * FROM users WHERE id = :id\n-- :name all_users :many\nSELECT * FROM users"
    assert len(extract_sql("p.sql", pugsql)) == 2


def test_format_templates_keep_their_text_and_positions():
    text = ('def page(txn, table, where, order):\n'
            '    sql = "SELECT %s FROM %s %s ORDER BY %s %s LIMIT ? OFFSET ?" % (cols, table, where, order, "ASC")\n'
            '    txn.execute(sql, args)\n'
            '    txn.execute("SELECT {} FROM {} {} ORDER BY id".format(cols, table, where))\n')
    result = extract_python("database.py", text)
    first, second = result.queries
    assert first.text == "SELECT %s FROM %s %s ORDER BY %s %s LIMIT ? OFFSET ?" and first.dynamic
    assert (first.location.line, first.location.col) == (2, 11)
    assert second.text == "SELECT {} FROM {} {} ORDER BY id" and not second.complete
    for q in (first, second):
        tree = parse_sql(q.text)
        assert not isinstance(tree, ParseFailure), q.text
    offset = first.textmap.locate(first.text.index("OFFSET"))
    assert (offset.line, offset.col) == (2, 11 + 1 + first.text.index("OFFSET"))
    # the constant "ASC" is the code's text, not a value spliced in (as an f-string's constants are not)
    assert [b.interpolated for b in result.string_built] == [("cols", "table", "where", "order"),
                                                              ("cols", "table", "where")]


def test_a_format_template_whose_table_a_constant_fills_is_read_on_that_table():
    """testarchiver's `"SELECT id FROM {} WHERE name = %s".format("test_run")`: the statement on test_run, as an
    f-string's constants are filled; a table a caller passes stays the template's field."""
    text = ('T = "jobs"\n'
            'def page(txn, table, where):\n'
            '    txn.execute("SELECT id FROM {} WHERE name = %s".format("test_run"), args)\n'
            '    txn.execute("SELECT id FROM %s %s" % (T, where))\n'
            '    txn.execute("SELECT id FROM {t} WHERE {w}".format(t=table, w=where))\n')
    texts = [q.text for q in extract_python("database.py", text).queries]
    assert texts == ["SELECT id FROM test_run WHERE name = %s", "SELECT id FROM jobs {}", "SELECT id FROM {t} WHERE {w}"]


def test_a_spliced_clause_is_read_as_nothing_only_before_known_clauses():
    page = parse_sql("SELECT {} FROM {} {} ORDER BY id LIMIT %s")
    assert not isinstance(page, ParseFailure) and page.args.get("where") is None
    # at the end the spliced text may be the WHERE clause: unreadable, so no rule can call it missing
    for text in ("UPDATE {} SET {} {}", "DELETE FROM jobs {}", "INSERT INTO {} {}"):
        failure = parse_sql(text)
        assert isinstance(failure, ParseFailure) and failure.templated, text


def test_fstrings_built_from_fstrings_are_filled_in():
    text = ('def admin(txn, where_statement, order):\n'
            '    sql_base = f"FROM destinations {where_statement} "\n'
            '    txn.execute(f"SELECT destination {sql_base} ORDER BY retry_last_ts {order}, destination LIMIT ? OFFSET ?")\n')
    result = extract_python("transactions.py", text)
    page = next(q for q in result.queries if "OFFSET" in q.text)
    assert page.text == "SELECT destination FROM destinations {}  ORDER BY retry_last_ts {}, destination LIMIT ? OFFSET ?"
    assert result.string_built[-1].interpolated == ("where_statement", "order")
    tree = parse_sql(page.text)
    assert not isinstance(tree, ParseFailure) and tree.args.get("offset") is not None


def test_only_names_bound_to_literals_alone_are_filled_in():
    text = ('TABLE = "jobs"\nORDER = "id"\n\n'
            'def f(txn, postgres, order, rows):\n'
            '    if postgres:\n        clause = "GREATEST(a, b)"\n    else:\n        clause = "MAX(a, b)"\n'
            '    txn.execute(f"SELECT {clause} FROM {TABLE}")\n'
            '    txn.execute(f"SELECT a FROM {TABLE} ORDER BY {order}")\n'
            '    for table in rows:\n        txn.execute(f"DELETE FROM {table} WHERE id = 1")\n'
            'table = "other"\n')
    result = extract_python("m.py", text)
    assert [q.text for q in result.queries] == [
        "SELECT GREATEST(a, b) FROM jobs", "SELECT a FROM jobs ORDER BY {}", "DELETE FROM {} WHERE id = 1"]
    assert [b.interpolated for b in result.string_built] == [("order",), ("table",)]  # a parameter, a loop variable


def test_js_parameters_are_never_taken_for_the_module_constant_of_the_same_name():
    text = """const table = "jobs";
const where = "WHERE done";
export async function purge(db, { where }, table2 = table) {
  await db.query(`DELETE FROM ${table} ${where}`);
}
"""
    (query,) = extract("purge.ts", text).queries
    assert query.text == "DELETE FROM jobs {}" and query.dynamic


def test_a_byte_order_mark_does_not_hide_a_python_file():
    (query,) = extract_python("win.py", '\ufeffcur.execute("SELECT id FROM t")\n').queries
    assert (query.location.line, query.location.col) == (1, 13)


def test_parse_errors_only_where_advisor_has_the_whole_statement(tmp_path, monkeypatch):
    """Real code (dbt-postgres macros, graphile-worker migrations, synapse storage, procrastinate): a
    statement advisor does not have whole, or the parser's own limit, is never a parse-error."""
    from advisor import catalogue, engine

    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    (tmp_path / "macro.sql").write_text(  # dbt: a Jinja macro, not SQL as written
        "{% macro postgres__any_value(expression) -%}\n\n    min({{ expression }})\n\n{%- endmacro %}\n")
    (tmp_path / "describe.sql").write_text(
        "{% macro describe(relation) %}\n    {% set _i = run_query(x) %}\n    {% do return({'i': _i}) %}\n"
        "{% endmacro %}\n")
    (tmp_path / "000011.sql").write_text(  # graphile-worker: psql variables fill in the schema
        "alter table :GRAPHILE_WORKER_SCHEMA.jobs alter column key type :GRAPHILE_WORKER_SCHEMA.job_key;\n"
        "drop function if exists procrastinate_fetch_job(target_queue_names character varying[]);\n")
    (tmp_path / "store.py").write_text(  # synapse: a clause appended at run time; execute_values(VALUES ?)
        "def f(txn, batch):\n"
        "    sql = \"\"\"\n        SELECT count(*) FROM devices\n        WHERE hidden = '0' AND\n    \"\"\"\n"
        "    clause, args = make_in_list_sql_clause(txn.database_engine, 'user_id', batch)\n"
        "    txn.execute(sql + clause, args)\n"
        "def g(txn):\n    sql = 'SELECT count(*) FROM devices WHERE hidden = 0 AND'\n    txn.execute(sql)\n"
        "def h(txn, q):\n"
        "    sql = 'WITH claims(a, b) AS (VALUES ?) UPDATE k SET used = a FROM claims WHERE k.b = claims.b'\n"
        "    return txn.execute_values(sql, q)\n")
    (tmp_path / "queries.sql").write_text(  # procrastinate: bind parameters and a column named lock
        "-- list_locks --\nSELECT lock FROM procrastinate_jobs WHERE (%(q)s::varchar IS NULL OR queue_name = %(q)s)\n"
        "GROUP BY lock\n")
    monkeypatch.chdir(tmp_path)
    found = [f for f in engine.check(["."]).findings if catalogue.lookup(f.rule).name == "parse-error"]
    assert [(f.location.path, f.location.line) for f in found] == []
    assert not any("TypeError" in f.message for f in found)


def test_a_parser_failure_is_never_shown_as_the_users_error():
    from advisor.parse import ParseFailure, parse_sql

    tree = parse_sql("WITH claims(a, b) AS (VALUES ?) SELECT a FROM claims")  # sqlglot raises a TypeError
    assert isinstance(tree, ParseFailure) and tree.unsupported
    assert "Error" not in tree.message and "sqlglot" not in tree.message


def test_comments_before_a_statement_and_aliased_updates_are_still_queries():
    # saq/queue/postgres.py:380 starts its statement with a comment line; chancy/app.py:1324 aliases its UPDATE
    text = '''async def sweep(cur, ids):
    await cur.execute("""
        -- reclaim jobs whose worker died
        /* one statement */
        DELETE FROM saq_jobs WHERE key = ANY(%(keys)s)
    """, {"keys": ids})
    await cur.execute("UPDATE chancy_jobs AS j SET state = 'failed' WHERE j.id = %s", ids)
    await cur.execute("-- nothing but a comment")
'''
    queries = extract_python("queue.py", text).queries
    assert [q.text.split()[-1] if q.text.lstrip().startswith("--") else q.text.split()[0] for q in queries] == [
        "ANY(%(keys)s)",
        "UPDATE",
    ]
    js = 'export const f = (db) => db.query(`-- stale\nUPDATE ONLY jobs j SET locked = false WHERE j.id = $1`, [1]);\n'
    assert [q.text.split()[-1] for q in extract("jobs.js", js).queries] == ["$1"]


def test_a_do_block_s_ddl_is_schema_a_function_s_is_not():
    """A DO block runs as the file is loaded: its CREATE / ALTER / DROP change the schema then (alerta's
    idempotent `ALTER TABLE users ADD COLUMN login text UNIQUE` in DO ... EXCEPTION WHEN duplicate_column);
    DDL inside a function runs only when it is called."""
    from advisor.schema.ddl import schema_from_queries

    text = (
        "CREATE TABLE users (id text PRIMARY KEY, email text UNIQUE);\n"
        "DO $$\nBEGIN\n    ALTER TABLE users ADD COLUMN login text UNIQUE;\n    UPDATE users SET login = email;\n"
        "EXCEPTION\n    WHEN duplicate_column THEN RAISE NOTICE 'column \"login\" already exists';\nEND$$;\n"
        "CREATE FUNCTION later() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
        "    CREATE INDEX users_email_idx ON users (email);\nEND;\n$$;\n"
    )
    queries = extract_sql("schema.sql", text)
    schema = schema_from_queries(queries)
    assert "login" in schema.table("users").columns
    assert sorted(i.name for i in schema.indexes_on("users")) == ["users_email_key", "users_login_key", "users_pkey"]
    do_body = [q for q in queries if q.origin == "function-body" and q.location.line in (4, 5)]
    assert [q.text.split()[0] for q in do_body] == ["ALTER", "UPDATE"]


def test_sql_in_code_advisor_cannot_read_is_said_once_per_file(tmp_path, monkeypatch):
    """rate-limiter-flexible's MySQL store: four statements with the mysql driver's `??` placeholders,
    one note at the first, with the count; a .sql file's syntax error stays a parse-error."""
    from advisor import catalogue, engine

    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    (tmp_path / "store.js").write_text(
        "function a(conn) { conn.query('DELETE FROM ??.?? WHERE expire < ?', [1]); }\n"
        "function b(conn) { conn.query('SELECT points FROM ??.?? WHERE `key` = ?', [1]); }\n"
        "function c(conn) { conn.query('SELECT id FROM jobs WHERE id = $1', [1]); }\n")
    (tmp_path / "bad.sql").write_text("SELECT id FROM WHERE;\n")
    monkeypatch.chdir(tmp_path)
    found = [(catalogue.lookup(f.rule).name, f.location.path, f.location.line, f.message)
             for f in engine.check(["."]).findings if f.rule.startswith("ADV") and f.rule != "ADV005"]  # no schema
    assert [(r, p, line) for r, p, line, _ in found] == [("parse-error", "bad.sql", 1), ("unread-statement", "store.js", 1)]
    assert "could not read 2 SQL statements in this file" in found[1][3]


def test_a_templated_table_name_is_shown_without_advisor_stand_ins(tmp_path, monkeypatch):
    # nominatim's Jinja SQL: DELETE FROM location_area_large_{{ partition }} in a function, no CREATE advisor reads
    from advisor import engine

    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\nschema = ["schema.sql"]\n')
    (tmp_path / "schema.sql").write_text("CREATE TABLE area (id bigint PRIMARY KEY, place_id bigint);\n")
    (tmp_path / "q.sql").write_text(
        "CREATE OR REPLACE FUNCTION drop_area(in_place_id bigint) RETURNS void AS $$\nBEGIN\n"
        "  DELETE FROM area_large_{{ p }} WHERE place_id = in_place_id;\nEND;\n$$ LANGUAGE plpgsql;\n")
    monkeypatch.chdir(tmp_path)
    messages = [f.message + (f.help or "") for f in engine.check(["."]).findings]
    assert any("area_large_…" in m for m in messages), messages
    assert not any("___" in m or "__advisor" in m for m in messages), messages


def test_sql_in_a_folder_named_after_another_database_is_not_a_parse_error(tmp_path, monkeypatch):
    # umami ships db/mysql/migrations beside db/postgresql/migrations; the config reads PostgreSQL
    from advisor import catalogue, engine

    mysql = "CREATE TABLE `session` (`id` VARCHAR(36) NOT NULL, `at` TIMESTAMP(0) NULL DEFAULT CURRENT_TIMESTAMP(0));\n"
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    for folder in ("db/mysql", "db/postgresql"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "migration.sql").write_text(mysql)
    monkeypatch.chdir(tmp_path)
    found = sorted((catalogue.lookup(f.rule).name, f.location.path, f.severity) for f in engine.check(["."]).findings)
    assert ("unread-statement", "db/mysql/migration.sql", "info") in found
    assert ("parse-error", "db/postgresql/migration.sql", "error") in found  # where it claims to be PostgreSQL


def test_a_file_named_after_another_database_beside_the_configured_one_s(tmp_path, monkeypatch):
    # django-hordak ships migrations/0047_get_balance.mysql.sql beside 0047_get_balance.pg.sql in one folder
    from advisor import catalogue, engine

    mysql = (  # a MySQL stored function's body: DECLARE, SELECT ... INTO variables
        "CREATE FUNCTION get_balance(account_id BIGINT)\nRETURNS JSON\nBEGIN\n    DECLARE account_lft INT;\n"
        "    SELECT lft INTO account_lft\n    FROM hordak_account\n    WHERE id = account_id;\n"
        "    RETURN NULL;\nEND;\n"
    )
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0047_get_balance.mysql.sql").write_text(mysql)
    (tmp_path / "migrations" / "0047_get_balance.pg.sql").write_text("SELECT id FROM jobs WHERE locked_by = NULL;\n")
    (tmp_path / "migrations" / "0048_other.sql").write_text(mysql)
    monkeypatch.chdir(tmp_path)
    found = {(catalogue.lookup(f.rule).name, f.location.path, f.severity) for f in engine.check(["."]).findings}
    assert not [f for f in found if f[0] == "parse-error" and f[1].endswith(".mysql.sql")], found
    assert any(f[:2] == ("equals-null", "migrations/0047_get_balance.pg.sql") for f in found)
    assert any(f[:2] == ("parse-error", "migrations/0048_other.sql") for f in found)  # its name says nothing


def test_another_database_s_sql_that_parses_gets_no_postgresql_rule(tmp_path, monkeypatch):
    # relstorage's MySQL procedures beside its PostgreSQL ones: `SET prev_timeout = NULL` is MySQL's
    # assignment there; the same text in a folder that does not say MySQL is read as the config's SQL
    from advisor import catalogue, engine

    body = "SELECT id FROM jobs WHERE locked_by = NULL;\n"
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    for folder in ("adapters/mysql/procs", "adapters/postgresql/procs"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "lock.sql").write_text(body)
    monkeypatch.chdir(tmp_path)
    found = {(catalogue.lookup(f.rule).name, f.location.path) for f in engine.check(["."]).findings}
    assert ("equals-null", "adapters/postgresql/procs/lock.sql") in found
    assert not [p for _, p in found if "/mysql/" in p]


def test_cql_in_a_module_of_a_cassandra_folder_is_not_read_as_the_configured_database_s(tmp_path, monkeypatch):
    # phidata's vectordb/cassandra/cassandra.py asks Cassandra's catalog (`system_schema.tables`) through a
    # Cassandra session: not a PostgreSQL table whose definition advisor lacks; its pgvector twin is PostgreSQL
    from advisor import catalogue, engine

    code = (
        "def exists(session, ks, name):\n"
        "    return session.execute(\n"
        "        'SELECT * FROM system_schema.tables WHERE keyspace_name = %s AND table_name = %s', (ks, name))\n"
    )
    for folder in ("cassandra", "pgvector"):
        root = tmp_path / folder
        (root / "vectordb" / folder).mkdir(parents=True)
        (root / "advisor.toml").write_text('dialect = "postgres"\n')
        (root / "vectordb" / folder / "store.py").write_text(code)
    monkeypatch.chdir(tmp_path / "cassandra")
    assert engine.check(["."]).findings == []
    monkeypatch.chdir(tmp_path / "pgvector")
    said = [(catalogue.lookup(f.rule).name, f.message) for f in engine.check(["."]).findings]
    assert [name for name, m in said if "not of tables" in m] == ["incomplete-schema"], said


def test_a_sql_function_that_names_its_arguments_by_position_reads_bare_names_as_columns():
    # rate-limit-postgresql: arguments name_ and type_, the body `WHERE name_ = $1 AND type_ = $2`: in a SQL
    # function a column of the argument's name takes precedence, and $1 is how the body means the argument
    ddl = ("CREATE FUNCTION session_select(name_ TEXT, type_ TEXT) RETURNS SETOF sessions AS $bd$\n"
           "    SELECT id FROM sessions WHERE name_ = $1 AND type_ = $2 LIMIT 1;\n$bd$ LANGUAGE sql;\n"
           "CREATE FUNCTION by_name(name_ TEXT) RETURNS SETOF sessions AS $bd$\n"
           "    SELECT id FROM sessions WHERE sessions.name_ = name_;\n$bd$ LANGUAGE sql;\n")
    bodies = [q.text.strip() for q in extract_sql("f.sql", ddl) if q.origin == "function-body"]
    assert bodies[0] == "SELECT id FROM sessions WHERE name_ = $1 AND type_ = $2 LIMIT 1"
    assert "name_ = name_" not in bodies[1] and bodies[1].startswith("SELECT id FROM sessions WHERE sessions.name_ =")
