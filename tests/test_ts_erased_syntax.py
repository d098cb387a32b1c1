"""TypeScript 5's type-only star export (`export type * from './types'`, holdout 36's index modules), which
tree-sitter's grammar does not know: erased by the compiler, so read as `export * from`, never a parse error,
and the positions of what follows it unchanged."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

INDEX = """\
export type * from './types';
export type * as Types from './types';
export * from './store';
"""

STORE = """\
export type * from './types';
import { MongoClient } from 'mongodb';

export async function byOwner(client: MongoClient, owner: string) {
  return client.db('app').collection('pets').find({ owner }).toArray();
}
"""


def test_a_type_only_star_export_is_no_parse_error(project):
    project({"src/index.ts": INDEX, "src/store.ts": STORE, "src/types.ts": "export type Pet = { owner: string };\n"})
    findings = engine.check(["."]).active
    assert not [f for f in findings if catalogue.lookup(f.rule).name == "parse-error"]
    loaded = load_project(["."], Options())
    [query] = [q for s in loaded.sources for q in s.queries]
    assert (query.collection, query.location.line, query.location.col) == ("pets", 5, 46)
