"""NestJS's mongoose (`@nestjs/mongoose`): schemas written as decorated classes, models injected into services.

    @Schema({ collection: 'felines' })
    export class Cat {
      @Prop({ index: true }) name: string;
    }
    export const CatSchema = SchemaFactory.createForClass(Cat);
    CatSchema.index({ owner: 1 });

    constructor(@InjectModel(Cat.name) private readonly cats: Model<Cat>) {}
    ... this.cats.find({ owner })

`SchemaFactory.createForClass(Cat)` is a mongoose schema held under its variable, the model named after the class
(NestJS registers it by `forFeature`'s `name`, written `Cat.name`), its collection `@Schema`'s `collection` or
mongoose's plural of that name. Each `@Prop({...})` is a field of the schema, read as a field written in
`new Schema({...})` is (`@Prop(raw({...}))` a nested path). A field decorator of the project's own
(`@UnifiedField({ mongoose: { index: true } })`), or a base class another module declares, may declare an index
advisor cannot read: the collection then has a declaration it could not read, so no rule claims an absence there.

Typegoose writes the same with its own decorators, each imported from `@typegoose/typegoose`:

    @index({ namespaceId: 1, name: 1 }, { unique: true })
    @modelOptions({ schemaOptions: { collection: 'databases' } })
    @plugin(changeStreamPlugin)
    export class DatabaseSchema { @prop({ index: true }) public gameId: string; }
    export const Database = getModelForClass(DatabaseSchema);

`getModelForClass(Cls)` is the model (named after the class unless `options.customName` says otherwise), held under
its variable; each class `@index(keys, options)` is a `schema.index(...)`, `@prop` a `@Prop`, `@plugin(fn)` a
`schema.plugin(fn)` (advisor.sources.js_mongo_plugins), `@modelOptions`' `schemaOptions` the schema's options.

`this.cats` in a class whose constructor takes `@InjectModel(X)` for it (a parameter property, or a parameter the
constructor keeps on `this`) is the model X names: a string, `Cat.name`, or a constant of the module.
"""

from __future__ import annotations

from advisor.sources.js_names import constant_string
from advisor.sources.js_syntax import JsFile, arg_list, key_name, member_parts, parameter_list, read_value, unwrap
from advisor.sources.mongo_names import run_time_name

CLASSES = ("class_declaration", "class", "abstract_class_declaration")
# the packages whose field decorators declare no index (validation, GraphQL and OpenAPI metadata); mongoose's own
# `@Prop` is read, and a decorator of the project's own, or of another package, may declare one advisor cannot see
_METADATA = ("class-validator", "class-transformer", "@nestjs/graphql", "@nestjs/swagger", "type-graphql")


def _decorator_call(f: JsFile, decorator) -> tuple[str, list]:
    """`@Prop({...})` -> ("Prop", [args]); `@Field` -> ("Field", [])."""
    node = next(iter(decorator.named_children), None)
    if node is not None and node.type == "call_expression":
        fn = unwrap(node.child_by_field_name("function"))
        name = member_parts(f, fn)[1] if fn is not None and fn.type == "member_expression" else f.src(fn or node)
        return name or "", arg_list(node.child_by_field_name("arguments"))
    if node is not None and node.type == "member_expression":
        return member_parts(f, node)[1] or "", []
    return (f.src(node) if node is not None else ""), []


def decorators(node) -> list:
    return [c for c in node.children if c.type == "decorator"]


def typegoose(f: JsFile, name: str) -> str | None:
    """Typegoose's own name for a decorator or function the module imports from it (`index`, `prop`,
    `modelOptions`, `plugin`, `getModelForClass`), or None."""
    module = f.imports.get(name)
    return f.imported.get(name, name) if module is not None and "typegoose" in module else None


def class_decorators(f: JsFile, cls) -> list[tuple[str, list, object]]:
    """(name, arguments, decorator) of each decorator above the class, on the class or on its `export` statement;
    typegoose's by typegoose's name, prefixed `typegoose.` (`typegoose.index`, `typegoose.modelOptions`)."""
    holders = [cls, *([cls.parent] if cls.parent is not None and cls.parent.type == "export_statement" else [])]
    out = []
    for holder in holders:
        for d in decorators(holder):
            name, args = _decorator_call(f, d)
            own = typegoose(f, name)
            out.append(("typegoose." + own if own else name, args, d))
    return out


def _class_named(f: JsFile, name: str):
    """The class the file declares under `name` (exported or not)."""
    key = ("nest_class", name)
    if key not in f.memo:
        found, stack = None, [f.root]
        while stack and found is None:
            node = stack.pop()
            if node.type in CLASSES:
                named = node.child_by_field_name("name")
                if named is not None and f.src(named) == name:
                    found = node
                continue  # a class declared inside another's body is no schema of the module
            stack.extend(node.named_children)
        f.memo[key] = found
    return f.memo[key]


def schema_option(f: JsFile, cls) -> dict:
    """`@Schema({ collection: 'x' })` above the class (on the class or on its `export` statement): its options;
    typegoose's `@modelOptions({ schemaOptions: {...}, options: { customName } })`: the schema's, and the model's
    name under `customName`."""
    for name, args, _ in class_decorators(f, cls):
        if name in ("Schema", "typegoose.modelOptions") and args:
            opts = read_value(f, args[0], (), {}, {"partial": False})
            opts = opts if isinstance(opts, dict) else {}
            return opts if name == "Schema" else _model_options(opts)
    return {}


def _model_options(opts) -> dict:
    """Typegoose's `{ schemaOptions: {...}, options: { customName } }`: the schema's options, the model's name
    under `customName`."""
    if not isinstance(opts, dict):
        return {}
    schema, options = opts.get("schemaOptions"), opts.get("options")
    custom = options.get("customName") if isinstance(options, dict) else None
    return {**(schema if isinstance(schema, dict) else {}), **({"customName": custom} if custom else {})}


def schema_classes(f: JsFile, calls: list) -> None:
    """Each `X = SchemaFactory.createForClass(Cat)` of the module into `f.schemas["X"]`: the model `Cat`, the
    collection its `@Schema` names, and the class whose fields declare its field indexes (`nest`). Each
    `X = getModelForClass(Cat)` of typegoose's the same, and `X` the model (`f.models`)."""
    if "ForClass" not in f.text:  # NestJS's createForClass, typegoose's getModelForClass
        return
    for call in calls:
        fn = unwrap(call.child_by_field_name("function"))
        creates = fn is not None and fn.type == "member_expression" and member_parts(f, fn)[1] == "createForClass"
        models = fn is not None and fn.type == "identifier" and typegoose(f, f.src(fn)) == "getModelForClass"
        if not creates and not models:
            continue
        args = [unwrap(a) for a in arg_list(call.child_by_field_name("arguments"))]
        holder = f.parent(call)
        while holder is not None and holder.type in ("parenthesized_expression", "as_expression", "await_expression"):
            holder = f.parent(holder)
        named = (
            holder.child_by_field_name("name") if holder is not None and holder.type == "variable_declarator" else None
        )
        if not args or args[0] is None or named is None:
            continue
        given = f.src(args[0])
        cls = _class_named(f, given) if args[0].type == "identifier" else None
        options = schema_option(f, cls) if cls is not None else {}
        if models and len(args) > 1:  # getModelForClass(Cat, { schemaOptions, options }): over the decorator's
            options = {**options, **_model_options(read_value(f, args[1], (), {}, {"partial": False}))}
        option = options.get("collection")
        if cls is None and (
            args[0].type != "identifier" or given not in f.imports
        ):  # a class a variable holds at run time: its model is not known
            model, option = None, run_time_name(f.src(call))
        else:  # `import { Cat as Feline }`: the class, and its model, is Cat; typegoose's `customName` over it
            custom = options.get("customName")
            model = custom if isinstance(custom, str) else f.imported.get(given, given)
        collection = option if isinstance(option, str) else None
        f.schemas[f.src(named)] = {
            "collection": collection,
            "model": model,
            "def": None,
            "nest": cls,  # None: a class of another module, whose fields advisor does not read here
            "at": call,
        }
        if models and model is not None:
            f.models[f.src(named)] = (model, collection)


def class_fields(f: JsFile, cls, depth: int = 0):
    """The fields of a schema class and of the base classes the file declares: (field name node, the `@Prop`
    argument or None, whether a decorator may declare an index advisor cannot read, the node to point at)."""
    body = cls.child_by_field_name("body")
    for member in body.named_children if body is not None else ():
        if member.type not in ("public_field_definition", "field_definition"):
            continue
        name = member.child_by_field_name("name") or member.child_by_field_name("property")
        if name is None:
            continue
        for d in decorators(member):
            called, args = _decorator_call(f, d)
            if called == "Prop" or typegoose(f, called) == "prop":
                yield name, (unwrap(args[0]) if args else None), False, d
            elif not _metadata(f, called):
                yield name, None, True, d
    base = _base_class(cls)
    if base is not None and depth < 4:
        own = _class_named(f, f.src(base)) if base.type == "identifier" else None
        if own is not None:
            yield from class_fields(f, own, depth + 1)
        elif not _package(f, f.src(base).split(".")[0]):
            yield base, None, True, base  # a base class of another module: its fields are not read here


def _base_class(cls):
    """The class `extends` names (JavaScript's heritage is the expression itself; TypeScript's an extends clause),
    never an interface it `implements`, which declares no field of the schema."""
    for c in cls.named_children:
        if c.type == "class_heritage":
            ext = next((e for e in c.named_children if e.type == "extends_clause"), None)
            if ext is None and any(e.type == "implements_clause" for e in c.named_children):
                return None
            ext = ext or c
            value = ext.child_by_field_name("value") or next(iter(ext.named_children), None)
            return unwrap(value)
    return None


def _metadata(f: JsFile, name: str) -> bool:
    module = f.imports.get(name)
    return module is not None and (module in _METADATA or module.startswith(tuple(m + "/" for m in _METADATA)))


def _package(f: JsFile, name: str) -> bool:
    """A name imported from a package (`Document` from 'mongoose'), not from the project's own modules."""
    module = f.imports.get(name)
    return module is not None and not module.startswith((".", "/", "@/", "~/", "src/"))


def injected_model(f: JsFile, use, name: str) -> tuple[bool, str | None]:
    """Whether `name` (`this.name`, or the parameter itself) is a model a constructor of the class around `use` is
    given by `@InjectModel(token)`, and the model's name, when the token says it (`'Cat'`, `Cat.name`, a constant)."""
    cls = f.parent(use)
    while cls is not None and cls.type not in CLASSES:
        cls = f.parent(cls)
    body = cls.child_by_field_name("body") if cls is not None else None
    ctor = next(
        (
            m
            for m in (body.named_children if body is not None else ())
            if m.type == "method_definition" and f.src(m.child_by_field_name("name")) == "constructor"
        ),
        None,
    )
    for p in parameter_list(ctor) if ctor is not None else ():
        pattern = p.child_by_field_name("pattern")
        if pattern is None or f.src(pattern) != name:
            continue
        for d in decorators(p):
            called, args = _decorator_call(f, d)
            if called == "InjectModel":
                return True, model_token(f, args[0]) if args else None
    return False, None


def model_token(f: JsFile, node) -> str | None:
    """The model name `@InjectModel` is given: a string, `Cat.name` (the class's name), a constant of the module."""
    node = unwrap(node)
    if node is not None and node.type == "member_expression":
        obj, prop = member_parts(f, node)
        obj = unwrap(obj)
        if prop == "name" and obj is not None and obj.type == "identifier":
            return f.imported.get(f.src(obj), f.src(obj))  # `import { Cat as Feline }`: the class is Cat
        return None
    return constant_string(f, node, defaults=False)


def registered_models(f: JsFile, calls: list) -> list[tuple[str, str | None, bool, object]]:
    """`MongooseModule.forFeature([{ name: Cat.name, schema: CatSchema, collection: 'felines' }])`: each model
    registered (its name, when written), the collection of its own it is registered under (mongoose's third
    argument to `model()`, which wins over the schema's `collection` option), whether its schema is one the module
    names (`CatSchema`; not `options.customSchema ?? CatSchema`, which a caller may replace, nor what a
    `forFeatureAsync` factory returns, plugins and all), and the entry."""
    out: list[tuple[str, str | None, bool, object]] = []
    for call in calls if "forFeature" in f.text else ():
        fn = unwrap(call.child_by_field_name("function"))
        if (
            fn is None
            or fn.type != "member_expression"
            or member_parts(f, fn)[1] not in ("forFeature", "forFeatureAsync")
        ):
            continue
        args = [unwrap(a) for a in arg_list(call.child_by_field_name("arguments"))]
        entries = args[0].named_children if args and args[0] is not None and args[0].type == "array" else []
        for entry in entries:
            if entry.type != "object":
                continue
            pairs = {
                key_name(f, p.child_by_field_name("key")): unwrap(p.child_by_field_name("value"))
                for p in entry.named_children
                if p.type == "pair"
            }
            model = model_token(f, pairs["name"]) if "name" in pairs else None
            if not model:
                continue
            collection = constant_string(f, pairs["collection"], defaults=False) if "collection" in pairs else None
            schema = pairs.get("schema")
            named = schema is not None and schema.type in ("identifier", "member_expression")
            out.append((model, collection, named and "useFactory" not in pairs, entry))
    return out
