"""What a mongoose plugin's `.plugin()` call hands advisor.sources.links (advisor.sources.js_mongo_plugins reads
both ends; links joins them once every file is read)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from advisor.ir import IndexDef, Location


@dataclass(frozen=True)
class Plugged:
    """`X.plugin(fn)` on a schema of the module, `fn` another module's export (or what that export makes)."""

    module: str  # the module's path, joined to the caller's folder
    export: str  # the exported name, or "default"
    factory: bool  # the export called (`require('./machineName')('form')`): the plugin is what it returns
    models: tuple[tuple[str | None, str], ...]  # (model, collection) of every model compiled from the schema
    location: Location
    text: str  # the plugin as the call writes it


def applied(ix: IndexDef, model: str | None, collection: str, at: Location, name: str) -> IndexDef:
    """A plugin's index on the schema of one `.plugin()` call: at that call, saying which plugin declares it."""
    options = {**ix.options, "plugin": f"{name} ({ix.location})" if ix.location else name}
    if model:
        options["model"] = model
    return replace(ix, table=collection, location=at, options=options)
