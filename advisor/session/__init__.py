"""`advisor explain`: one query at a time, over the seeded database.

workspace.py holds the session's state and talks to the database; report.py is
the plain data a query produces; render.py turns it into a screen or JSON;
commands.py maps backslash commands onto the workspace; repl.py reads input.
"""
