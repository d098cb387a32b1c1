"""Fields spread into a mongoose schema's definition (holdout 78's open-stock: `new Schema({
...universal.withUrIdAndCompanySchemaObj, email: {type: String}, ... })`, the spread object another package's, with
`companyId: {type: String, index: true}` in it). An object the module writes is read as the schema's own fields;
one from elsewhere may declare indexes advisor cannot see, but only single-field ones on fields of its own: a field
the definition writes after it is the definition's. A query on such fields is judged; one that may use a spread
field is kept back and the incomplete-schema note names the spread."""

from advisor import catalogue, engine
from advisor.sources import extract

MODEL = """\
const mongoose = require("mongoose");
const universal = require("@acme/universal-server");
const base = { tenant: { type: String, index: true } };
const userSchema = new mongoose.Schema({
    ...universal.withCompanySchemaObj,
    ...base,
    email: { type: String },
    fname: { type: String, index: true },
});
const user = mongoose.model("User", userSchema);
async function byEmail(email) { return user.findOne({ email }); }
async function byCompany(companyId) { return user.findOne({ companyId }); }
async function byTenant(tenant) { return user.findOne({ tenant }); }
module.exports = { byEmail, byCompany, byTenant };
"""


def test_a_local_object_spread_is_read_and_another_packages_is_a_declaration_not_read():
    indexes = extract("models/user.js", MODEL).indexes
    read = sorted(i.columns for i in indexes if i.method == "mongo")
    assert read == [("fname",), ("tenant",)]  # the module's own `base` is read as the schema's fields
    (unread,) = [i for i in indexes if i.method == "mongo-unread"]
    assert unread.location.line == 5 and unread.options["spread"]
    assert unread.options["not_fields"] == ("email", "fname")  # written after it: the definition's, not the spread's


def test_a_query_only_on_fields_written_after_the_spread_is_judged_one_that_may_use_a_spread_field_is_kept_back(
    project,
):
    project({"advisor.toml": 'large-tables = ["*"]\n', "models/user.js": MODEL})
    found = engine.check(["."]).active
    claims = {(catalogue.lookup(f.rule).name, f.location.line) for f in found}
    assert ("collection-scan", 11) in claims  # email: no index can start with it, whatever the spread holds
    assert ("collection-scan", 12) not in claims  # companyId may be the spread's, indexed
    assert not any(line == 13 for _, line in claims if _ == "collection-scan")  # tenant: the module's index serves it
    note = next(f for f in found if catalogue.lookup(f.rule).name == "incomplete-schema")
    assert "could not read the fields spread into the schema of users at models/user.js:5" in note.message, note.message
