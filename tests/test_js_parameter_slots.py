"""A collection a JavaScript function receives as a parameter from another module (holdout 28's Unchained order
module: `configureOrderPaymentsModule({ OrderPayments })`, called after `const OrderPayments = await
OrderPaymentsCollection(db)`, a factory of a third module returning `db.collection('order_payments')`): its queries
are on the collection the callers pass, not on one guessed from the parameter's name. Its indexes, declared through a
package's helper given the collection and a literal list (`buildDbIndexes(OrderPayments, [{ index: {...} }])`), are
read as declarations."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

FACTORY = """\
import { buildDbIndexes } from '@shop/mongodb';
export const OrderPaymentsCollection = async (db) => {
  const OrderPayments = db.collection('order_payments');
  await buildDbIndexes(OrderPayments, [
    { index: { orderId: 1 } },
    { index: { transactionId: 1 }, options: { sparse: true } },
  ], { rebuild: false });
  return OrderPayments;
};
"""

PAYMENTS = """\
export const configureOrderPaymentsModule = ({ OrderPayments }) => ({
  findByTransaction: (transactionId) => OrderPayments.findOne({ transactionId }),
  findByProvider: (ids) => OrderPayments.find({ paymentProviderId: { $in: ids } }).toArray(),
});
export function purge(coll, orderId) {
  return coll.deleteMany({ orderId });
}
"""

MODULE = """\
import { OrderPaymentsCollection } from './db/OrderPaymentsCollection.js';
import { configureOrderPaymentsModule, purge } from './module/payments.js';
export const configure = async ({ db }) => {
  const OrderPayments = await OrderPaymentsCollection(db);
  const payments = configureOrderPaymentsModule({ OrderPayments });
  return { payments, purge: (id) => purge(OrderPayments, id) };
};
"""


def _queries(loaded, path):
    return {(q.operation, q.collection, q.model, q.driver) for s in loaded.sources if s.path == path for q in s.queries}


def test_a_parameter_is_the_collection_every_caller_passes(project):
    project(
        {
            "package.json": '{"name": "shop"}',
            "db/OrderPaymentsCollection.js": FACTORY,
            "module/payments.js": PAYMENTS,
            "index.js": MODULE,
        }
    )
    loaded = load_project(["."], Options())
    assert _queries(loaded, "module/payments.js") == {
        ("findOne", "order_payments", None, True),  # not `orderpayments`, a model guessed from the name
        ("find", "order_payments", None, True),
        ("deleteMany", "order_payments", None, True),  # a plain parameter, by its position
    }
    declared = {(ix.table, ix.columns, bool(ix.options.get("sparse"))) for ix in loaded.schema.indexes}
    assert declared == {("order_payments", ("orderId",), False), ("order_payments", ("transactionId",), True)}
    # the collection's declarations are seen: no note that none were, and no claim on a served query
    found = {catalogue.lookup(f.rule).name for f in engine.check(["."]).active}
    assert "no-index-declarations" not in found


def test_callers_passing_different_collections_leave_the_collection_to_the_run(project):
    project(
        {
            "package.json": '{"name": "shop"}',
            "module/payments.js": PAYMENTS,
            "a.js": "import { purge } from './module/payments.js';\nexport const a = (db) => purge(db.collection('jobs'), 1);\n",
            "b.js": "import { purge } from './module/payments.js';\nexport const b = (db) => purge(db.collection('runs'), 1);\n",
        }
    )
    loaded = load_project(["."], Options())
    (q,) = [q for s in loaded.sources for q in s.queries if q.operation == "deleteMany"]
    assert q.collection == "<coll>" and q.sketch  # either one: no claim rests on its indexes


def test_with_no_caller_passing_one_the_name_advisor_read_stands(project):
    project({"package.json": '{"name": "shop"}', "module/payments.js": PAYMENTS})
    loaded = load_project(["."], Options())
    assert _queries(loaded, "module/payments.js") == {
        ("findOne", "orderpayments", "OrderPayments", False),
        ("find", "orderpayments", "OrderPayments", False),
        ("deleteMany", "<coll>", None, True),  # a collection named at run time, as a `coll` parameter always was
    }


def test_a_helper_list_of_another_shape_or_the_projects_own_helper_is_not_read_so(project):
    project(
        {
            "package.json": '{"name": "shop"}',
            "a.js": """\
            import { buildDbIndexes } from '@shop/mongodb';
            import { ensureIndexes } from './helpers.js';
            export const open = async (db) => {
              const Jobs = db.collection('jobs');
              await buildDbIndexes(Jobs, [{ index: { state: 1 } }, { name: 'by_user' }]);
              await ensureIndexes(Jobs, [{ index: { user: 1 } }]);
              await buildDbIndexes(db.collection(process.env.C), [{ index: { at: 1 } }]);
              return Jobs;
            };
            """,
            "helpers.js": "export const ensureIndexes = async (c, list) => list.length;\n",
        }
    )
    loaded = load_project(["."], Options())
    assert loaded.schema.indexes == []  # a mixed list; a function of the project's that creates none; no name
