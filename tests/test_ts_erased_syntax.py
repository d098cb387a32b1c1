"""TypeScript the tree-sitter grammar does not know, which the compiler erases: the type-only star export
(`export type * from './types'`, holdout 36's index modules), read as `export * from`, and variance annotations
(`interface Entity<in out Type extends string>`, holdout 105), blanked. Never a parse error, and the positions of
what follows unchanged."""

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


VARIANCE = """\
import { MongoClient } from 'mongodb';
export interface Entity<in out Type extends string, out R = never> { readonly type: Type; r?: R }
export class Box<in T, out U> { constructor(readonly t: T, readonly u: U) {} }
export type Fn<in A> = (a: A) => void;

export async function byOwner(client: MongoClient, owner: string, n: number, out: number) {
  for (const k in { a: 1 }) { if (n < out) n += k.length; }
  return client.db('app').collection('pets').find({ owner }).toArray();
}
"""


def test_variance_annotations_are_no_parse_error(project):
    project({"src/store.ts": VARIANCE})
    findings = engine.check(["."]).active
    assert not [f for f in findings if catalogue.lookup(f.rule).name == "parse-error"]
    loaded = load_project(["."], Options())
    [query] = [q for s in loaded.sources for q in s.queries]
    assert (query.collection, query.location.line, query.location.col) == ("pets", 8, 46)
