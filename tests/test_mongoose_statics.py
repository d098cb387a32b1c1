"""A mongoose schema's statics and methods (holdout 106's storj-service-storage-models): inside a static, `this` is
the model (`this.find(...)`, `this.update(...)`) and `this.collection` its collection, also as `self` in a function
nested in it; inside a method, `this` is a document (`this.update(doc)` updates that document, no filter) and
`this.collection` still the model's. A model the module's factory assigns to a `let` (`Model = connection.model(...)`)
is that model where its hooks read it."""

from advisor.loader import load_project
from advisor.options import Options

CRON = """\
'use strict';
const mongoose = require('mongoose');
let AuditModel;

const Audit = new mongoose.Schema({ name: { type: String }, ts: Number, processing: Boolean });
Audit.index({ ts: 1 });

Audit.statics.lock = function(name, callback) {
  const self = this;
  function getLock(done) {
    self.collection.findAndModify({ name: name, locked: false }, {}, { $set: { locked: true } }, done);
  }
  getLock(callback);
};

Audit.statics.pop = function(callback) {
  this.update({ ts: { $lte: Date.now() } }, { $set: { processing: true } }, { multi: true }, () => {
    callback(this.find({ processing: true }));
  });
};

Audit.methods.touch = function() {
  this.collection.update({ _id: this._id }, { $set: { ts: Date.now() } });
  return this.update({ $set: { processing: false } });
};

Audit.pre('validate', function(next) {
  return AuditModel.find({ name: this.name }).then(() => next());
});

class Elsewhere {
  run() { return this.collection.find({ any: 1 }); }
}

module.exports = function(connection) {
  AuditModel = connection.model('Audit', Audit);
  return AuditModel;
};
"""


def test_this_in_statics_and_methods_is_the_models(project):
    project({"lib/audit.js": CRON})
    queries = sorted(
        (q.location.line, q.collection, q.operation)
        for s in load_project(["."], Options()).sources
        for q in s.queries
        if hasattr(q, "collection")
    )
    assert queries == [
        (11, "audits", "findAndModify"),  # self, the static's this, from a function nested in it
        (17, "audits", "update"),  # this, the model
        (18, "audits", "find"),
        (23, "audits", "update"),  # a method's this.collection: the model's collection
        (28, "audits", "find"),  # the model the factory assigns, read in a hook
        (32, "this.collection", "find"),  # a class's own this: a member named like a collection
    ]  # and not the method's `this.update({ $set: ... })` at 24: a document's own update
