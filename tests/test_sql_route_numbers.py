"""sql-string-building and a web view's parameters that the route's converter makes numbers
(advisor.facts.routes): Flask's `<int:server_id>`, Starlette's `{server_id:int}`, on the view itself. Each
silent shape stands next to its reported twin: a string converter, a second route that does not convert, a
decorator that may pass anything, a view the project also calls directly."""

import textwrap

import pytest

from advisor import catalogue, engine


def fired(project, code, extra=None):
    project({"views.py": textwrap.dedent(code), **(extra or {})})
    found = engine.check(["."]).active
    return [f.location.line for f in found if catalogue.lookup(f.rule).name == "sql-string-building"]


VIEW = """from flask import Flask

app = Flask(__name__)


{decorators}
def server_page(server_id, database=None):
    cursor = app.db.cursor()
    cursor.execute("SELECT name FROM servers WHERE id = %s LIMIT 1" % server_id)
    return cursor.fetchone()
"""


def view(*decorators):
    return VIEW.format(decorators="\n".join(decorators))


def execute_line(code):
    return next(i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if "execute(" in line)


@pytest.mark.parametrize(
    "decorators",
    [
        ['@app.route("/server/<int:server_id>/")'],
        ['@app.get("/server/<int(signed=True):server_id>/<database>")'],
        ['@app.route("/server/<int:server_id>/")', '@app.route("/s/<float:server_id>")', "@login_required"],
        ['@app.get("/server/{server_id:int}")'],  # Starlette's convertor
    ],
)
def test_a_parameter_every_route_converts_to_a_number_is_silent(project, decorators):
    assert fired(project, view(*decorators)) == []


@pytest.mark.parametrize(
    "decorators",
    [
        ['@app.route("/server/<server_id>/")'],  # a string
        ['@app.route("/server/<path:server_id>/")'],
        ['@app.get("/server/{server_id}")'],
        ['@app.route("/server/<int:server_id>/")', '@app.route("/by-name/<server_id>/")'],  # one does not convert
        ['@app.route("/server/", defaults={"server_id": "1"})', '@app.route("/server/<int:server_id>")'],
        ['@app.route("/server/<int:server_id>/")', "@use_kwargs(ServerArgs)"],  # may pass anything
        ['@app.route("/server/<int:database>/")'],  # converts another parameter
    ],
)
def test_a_parameter_some_route_leaves_a_string_is_reported(project, decorators):
    code = view(*decorators)
    assert fired(project, code) == [execute_line(code)]


def test_a_view_the_project_also_calls_is_reported(project):
    code = view('@app.route("/server/<int:server_id>/")')
    caller = "from views import server_page\n\n\ndef by_name(request):\n    return server_page(request.args['id'])\n"
    assert fired(project, code, {"admin.py": caller}) == [execute_line(code)]
