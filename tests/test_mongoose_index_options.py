"""A mongoose field's `index` given as the index's options (holdout 68's @colyseus/social:
`username: { type: String, index: { unique: true, sparse: true } }`): a unique, sparse index, as `unique: true,
sparse: true` beside `index: true` declares it."""

import pytest

from advisor.sources import extract

MODEL = """\
const mongoose = require("mongoose");
const UserSchema = new mongoose.Schema({{ username: {{ type: String, {spec} }} }});
module.exports = mongoose.model("User", UserSchema);
"""


@pytest.mark.parametrize(("spec", "unique", "sparse"), [
    ("index: { unique: true, sparse: true }", True, True),
    ("index: true, unique: true, sparse: true", True, True),
    ("index: { sparse: true }", False, True),
    ("index: true", False, False),
])
def test_a_fields_index_options_object(spec, unique, sparse):
    (index,) = extract("models/user.js", MODEL.format(spec=spec)).indexes
    assert (index.table, index.columns) == ("users", ("username",))
    assert (bool(index.unique or index.options.get("unique")), bool(index.options.get("sparse"))) == (unique, sparse)
