"""missing-index: a table's predicates and ORDER BY that no existing index serves."""

from __future__ import annotations

from advisor.checks import QueryContext, query_check
from advisor.indexes.candidates import access_of, candidate_for, create_index_ddl, serving_index


@query_check("missing-index")
def missing_index(ctx: QueryContext):
    if not ctx.schema:
        return
    for scope in ctx.facts.scopes:
        for alias, table in scope.sources.items():
            if ctx.schema.table(table) is None:
                continue
            access = access_of(scope, alias, table, ctx.schema)
            if not access.filters and not (access.sort and access.has_limit):
                continue  # nothing an index could narrow: joins alone are hashed, full reads stay full
            if serving_index(ctx.schema, access) is not None:
                continue
            keys = candidate_for(access)
            if not keys:
                continue
            ddl = create_index_ddl(table, keys)
            what = ", ".join(access.filters) or "ORDER BY " + ", ".join(str(k) for k in access.sort)
            anchor = access.predicates[0].node if access.predicates else scope.order_by[0].node
            yield ctx.hit(
                anchor,
                f"no index on {table} serves this query's access ({what}): it reads the whole table",
                help=f"add an index, equality columns first, then sort, then range: {ddl}",
                fix=ddl,
                subject=f"{table}({', '.join(str(k) for k in keys)})",
            )
