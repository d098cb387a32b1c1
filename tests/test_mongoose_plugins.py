"""Mongoose plugins declare indexes on the schemas they are given (holdout 25's @terreno/api: `createdUpdatedPlugin`,
`isDeletedPlugin` and `syncPlugin` add indexed fields with `schema.add({... index: true})`; formio's `machineName`
plugin factory adds `schema.index(...)`). advisor declares them on the schema of each `.plugin()` call, at that call:
a plugin of the module, one another module of the project exports, or what a factory of one makes. A plugin of a
package is not read."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

PLUGINS = """\
import { Schema } from "mongoose"

export const isDeletedPlugin = (schema: Schema, defaultValue = false): void => {
  schema.add({ deleted: { default: defaultValue, index: true, type: Boolean } })
  schema.pre("find", function () { this.where({ deleted: { $ne: true } }) })
}

export const tenantPlugin = (schema: Schema): void => {
  schema.add({ tenant: { type: String, index: true } })
}

export const stampsPlugin = (schema: Schema, options: any = {}): void => {
  schema.add({ stamped: { type: Date, index: options.index ?? true } })
}

export const helper = (x: number) => x + 1
"""

ORDERS = """\
import mongoose, { Schema } from "mongoose"
import { isDeletedPlugin, tenantPlugin, stampsPlugin } from "./plugins"

const orderSchema = new Schema({ status: String, total: Number })
orderSchema.index({ tenant: 1, total: -1 })
orderSchema.index({ stamped: 1, status: 1 })
orderSchema.plugin(isDeletedPlugin)
orderSchema.plugin(tenantPlugin)
orderSchema.plugin(stampsPlugin, { index: false })

export const Order = mongoose.model("Order", orderSchema)

export const removed = () => Order.find({ deleted: true }).lean()
"""

MACHINE_NAME = """\
module.exports = (modelName) => {
  return (schema) => {
    schema.add({ machineName: { type: String } })
    schema.index({ machineName: 1 }, { unique: true, partialFilterExpression: { deleted: { $eq: null } } })
  }
}
"""

FORMS = """\
const mongoose = require('mongoose')
const timestamps = (schema) => {
  const created = { type: Date, index: true }
  schema.add({ created, modified: { type: Date } })
}
const FormSchema = new mongoose.Schema({ title: String })
FormSchema.plugin(require('./machineName')('form'))
FormSchema.plugin(timestamps)
FormSchema.plugin(require('./machineName'))
module.exports = mongoose.model('form', FormSchema)
"""


def _indexes(project, files):
    project(files)
    return load_project(["."], Options()).schema.indexes


def test_an_imported_plugin_declares_its_fields_indexes_on_the_schema_at_the_plugin_call(project):
    found = {(i.table, i.name): i for i in _indexes(project, {"src/plugins.ts": PLUGINS, "src/orders.ts": ORDERS})}
    deleted = found[("orders", "deleted_1")]
    assert (deleted.location.path, deleted.location.line) == ("src/orders.ts", 7)
    assert deleted.options["model"] == "Order" and "isDeletedPlugin" in deleted.options["plugin"]
    assert "src/plugins.ts:4" in deleted.options["plugin"]  # where the plugin declares it
    assert ("orders", "tenant_1") in found
    # declared unless the caller's options drop it: it serves queries, but is never called redundant
    assert found[("orders", "stamped_1")].options["through"]


def test_a_plugins_index_is_judged_with_the_schemas_own(project):
    project({"src/plugins.ts": PLUGINS, "src/orders.ts": ORDERS, "advisor.toml": 'large-tables = ["*"]\n'})
    found = [
        (f.location.path, f.location.line, catalogue.lookup(f.rule).name, f.message) for f in engine.check(["."]).active
    ]
    redundant = [f for f in found if f[2] == "redundant-index"]
    assert [(path, line) for path, line, _, _ in redundant] == [("src/orders.ts", 8)]  # tenant_1, not stamped_1
    assert "tenant_1" in redundant[0][3] and "declared by the plugin tenantPlugin" in redundant[0][3]
    # the query on `deleted` has the plugin's index: no scan claimed, and the collection has declarations
    assert not [f for f in found if f[2] in ("collection-scan", "no-index-declarations")]


def test_without_the_plugin_the_same_query_scans(project):
    orders = ORDERS.replace("orderSchema.plugin(isDeletedPlugin)\n", "")
    project({"src/plugins.ts": PLUGINS, "src/orders.ts": orders, "advisor.toml": 'large-tables = ["*"]\n'})
    rules = [catalogue.lookup(f.rule).name for f in engine.check(["."]).active]
    assert "collection-scan" in rules


def test_a_plugin_of_the_module_and_one_a_required_factory_makes(project):
    found = {(i.table, i.name): i for i in _indexes(project, {"machineName.js": MACHINE_NAME, "Form.js": FORMS})}
    machine = found[("forms", "machineName_1")]
    assert machine.unique and machine.options["partialFilterExpression"] == {"deleted": {"$eq": None}}
    assert machine.location.line == 7
    created = found[("forms", "created_1")]  # `{ created, ... }`: the field the module's object gives
    assert created.location.line == 8 and "timestamps" in created.options["plugin"]
    # the factory handed over uncalled (line 9) is no plugin of its own: nothing declared there
    assert sorted(i.location.line for i in found.values() if i.options.get("plugin")) == [7, 8]
    assert ("forms", "modified_1") not in found


def test_a_packages_plugin_or_a_function_that_declares_nothing_adds_no_index(project):
    files = {
        "src/plugins.ts": PLUGINS,
        "src/orders.ts": """\
            import mongoose, { Schema } from "mongoose"
            import AutoIncrement from "mongoose-sequence"
            import { helper } from "./plugins"
            const orderSchema = new Schema({ status: String })
            orderSchema.plugin(AutoIncrement, { inc_field: "n" })
            orderSchema.plugin(helper)
            export const Order = mongoose.model("Order", orderSchema)
            """,
    }
    assert not [i for i in _indexes(project, files) if i.table == "orders"]
