"""NestJS's mongoose (`@nestjs/mongoose`): a schema written as a decorated class, `SchemaFactory.createForClass`,
and models a service's constructor is given by `@InjectModel(...)` (holdout 35's lenne-tech nest-server and the
NestJS style of most Node services on MongoDB). The class's `@Prop` options are its field indexes, `@Schema`'s
`collection` names the collection its services query; a decorator of the project's own or a base class of another
module may declare an index advisor cannot read, and then no rule claims an absence on that collection."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

CAT = """\
import { Prop, Schema, SchemaFactory, raw } from '@nestjs/mongoose';
import { IsString } from 'class-validator';
import { HydratedDocument } from 'mongoose';

@Schema({ collection: 'felines', timestamps: true })
export class Cat {
  @Prop({ required: true, index: true })
  @IsString()
  name: string;

  @Prop({ unique: true, sparse: true })
  tag: string;

  @Prop(raw({ city: { type: String, index: true }, zip: String }))
  address: Record<string, any>;

  @Prop({ expires: '1h' })
  seenAt: Date;

  @Prop()
  owner: string;
}
export type CatDocument = HydratedDocument<Cat>;
export const CatSchema = SchemaFactory.createForClass(Cat);
CatSchema.index({ owner: 1, createdAt: -1 });
"""

DOG = """\
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Document } from 'mongoose';
import { Indexed } from '../common/decorators';

@Schema()
export class Dog extends Document {
  @Indexed({ mongoose: { index: true } })
  breed: string;

  @Prop()
  owner: string;
}
export const DogSchema = SchemaFactory.createForClass(Dog);
"""

BIRD = """\
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { BaseEntity } from '../common/base.entity';

@Schema()
export class Bird extends BaseEntity {
  @Prop({ index: true })
  species: string;
}
export const BirdSchema = SchemaFactory.createForClass(Bird);
"""

SERVICE = """\
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Cat as Feline } from './cat.schema';
import { Dog } from './dog.schema';

const BIRD = 'Bird';

@Injectable()
export class PetsService {
  private dogs: Model<Dog>;

  constructor(
    @InjectModel(Feline.name) private readonly cats: Model<Feline>,
    @InjectModel(Dog.name) dogModel: Model<Dog>,
    @InjectModel(BIRD) private birds: Model<any>,
    private readonly config: Map<string, string>,
  ) {
    this.dogs = dogModel;
  }

  byOwner(owner: string) {
    return this.cats.find({ owner }).sort({ createdAt: -1 }).exec();
  }

  byColor(color: string) {
    return this.cats.find({ color }).lean();
  }

  dogsOf(owner: string) {
    return this.dogs.find({ owner });
  }

  birdsOf(owner: string) {
    return this.birds.find({ owner });
  }

  setting(key: string) {
    return this.config.get(key);
  }
}
"""


def _line(needle: str) -> int:
    return next(n for n, text in enumerate(SERVICE.splitlines(), 1) if needle in text)


def _files(extra: dict | None = None) -> dict:
    return {
        "package.json": '{"name": "pets", "dependencies": {"@nestjs/mongoose": "^10.0.0"}}',
        "src/pets/cat.schema.ts": CAT,
        "src/pets/dog.schema.ts": DOG,
        "src/pets/bird.schema.ts": BIRD,
        "src/pets/pets.service.ts": SERVICE,
        **(extra or {}),
    }


def test_a_schema_class_declares_its_field_indexes_on_its_collection(project):
    project(_files())
    loaded = load_project(["."], Options())
    felines = {i.name: i for i in loaded.schema.indexes if i.table == "felines"}
    assert sorted(felines) == ["address.city_1", "name_1", "owner_1_createdAt_-1", "seenAt_1", "tag_1"]
    assert felines["tag_1"].options.get("unique") is True and felines["tag_1"].options.get("sparse") is True
    assert felines["seenAt_1"].options.get("expireAfterSeconds") == 3600
    # a decorator of the project's own may declare an index; `Document` of mongoose declares none
    assert [i.method for i in loaded.schema.indexes if i.table == "dogs"] == ["mongo-unread"]
    # a base class of another module may declare its own fields' indexes
    assert sorted(i.method for i in loaded.schema.indexes if i.table == "birds") == ["mongo", "mongo-unread"]


def test_an_injected_model_is_the_collection_its_schema_class_names(project):
    project(_files())
    loaded = load_project(["."], Options())
    queries = sorted((q.location.line, q.collection, q.model) for s in loaded.sources for q in s.queries)
    # `Feline.name` is the class `Cat` (imported under another name): the `felines` of its @Schema; a parameter
    # the constructor keeps on `this`; a constant of the module; `this.config` is no model
    assert queries == [
        (_line("find({ owner }).sort"), "felines", "Cat"),
        (_line("find({ color })"), "felines", "Cat"),
        (_line("this.dogs.find"), "dogs", "Dog"),
        (_line("this.birds.find"), "birds", "Bird"),
    ]


def test_claims_on_an_injected_models_collection(project):
    project(_files({"advisor.toml": 'large-tables = ["*"]\n'}))
    findings = engine.check(["."]).active
    claims = sorted(
        (catalogue.lookup(f.rule).name, f.location.line)
        for f in findings
        if f.location.path.endswith("pets.service.ts")
    )
    # owner is served by (owner, createdAt); color by no index of felines; dogs and birds have declarations
    # advisor could not read, so nothing is claimed absent there
    assert claims == [("collection-scan", _line("find({ color })"))]


def test_an_unread_token_is_a_collection_known_at_run_time(project):
    service = SERVICE.replace("@InjectModel(BIRD)", "@InjectModel(tokens.bird())")
    project(_files({"src/pets/pets.service.ts": service, "advisor.toml": 'large-tables = ["*"]\n'}))
    loaded = load_project(["."], Options())
    birds = [q for s in loaded.sources for q in s.queries if q.location.line == _line("this.birds.find")]
    assert len(birds) == 1 and birds[0].collection.startswith("<") and birds[0].model is None
    findings = engine.check(["."]).active
    assert not [
        f
        for f in findings
        if f.location.line == _line("this.birds.find") and f.location.path.endswith("pets.service.ts")
    ]


def test_a_class_known_at_run_time_is_a_collection_known_at_run_time(project):
    module = """\
import { SchemaFactory } from '@nestjs/mongoose';
import { Member } from './member.schema';

export function forRoot(options: { model?: any }) {
  const MemberModel = options.model || Member;
  const memberSchema = SchemaFactory.createForClass(MemberModel);
  memberSchema.index({ user: 1, tenant: 1 }, { unique: true });
  const other = SchemaFactory.createForClass(options.model);
  other.index({ user: 1 });
  const imported = SchemaFactory.createForClass(Member);
  imported.index({ tenant: 1 });
}
"""
    project(_files({"src/tenant/tenant.module.ts": module}))
    loaded = load_project(["."], Options())
    declared = sorted((i.table, i.name) for i in loaded.schema.indexes if "tenant.module" in i.location.path)
    # a variable's class, or a member's: no model advisor can name (never `membermodels`); an imported class: its
    # model's collection, with its fields (another module's) not read here
    assert declared == [
        ("<SchemaFactory.createForClass(MemberModel)>", "(keys not read, src/tenant/tenant.module.ts:6:24)"),
        ("<SchemaFactory.createForClass(MemberModel)>", "user_1_tenant_1"),
        ("<SchemaFactory.createForClass(options.model)>", "(keys not read, src/tenant/tenant.module.ts:8:17)"),
        ("<SchemaFactory.createForClass(options.model)>", "user_1"),
        ("members", "(keys not read, src/tenant/tenant.module.ts:10:20)"),
        ("members", "tenant_1"),
    ]


def test_a_model_forfeature_registers_under_a_collection_of_its_own(project):
    module = """\
import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Dog, DogSchema } from './dog.schema';

@Module({
  imports: [MongooseModule.forFeature([{ name: Dog.name, schema: DogSchema, collection: 'hounds' }])],
})
export class DogsModule {}
"""
    project(_files({"src/pets/dogs.module.ts": module}))
    loaded = load_project(["."], Options())
    assert {q.collection for s in loaded.sources for q in s.queries if q.model == "Dog"} == {"hounds"}
    # the schema's own declarations go with its model to that collection
    assert {i.table for i in loaded.schema.indexes if i.options.get("model") == "Dog"} == {"hounds"}



def test_a_schema_the_caller_may_replace_is_an_unread_declaration(project):
    module = """\
import { MongooseModule } from '@nestjs/mongoose';
import { Cat, CatSchema } from './cat.schema';
import { Dog, DogSchema } from './dog.schema';

export const catsModule = (options: { customSchema?: object } = {}) => ({
  imports: [
    MongooseModule.forFeature([{ name: Cat.name, schema: options.customSchema ?? CatSchema }]),
    MongooseModule.forFeatureAsync([{ name: Dog.name, useFactory: () => DogSchema.plugin(require('x')) }]),
  ],
});
"""
    project(_files({"src/pets/cats.module.ts": module, "advisor.toml": 'large-tables = ["*"]\n'}))
    loaded = load_project(["."], Options())
    unread = sorted((i.table, i.location.line) for i in loaded.schema.indexes if i.method == "mongo-unread")
    assert ("felines", 7) in unread and ("dogs", 8) in unread
    # the colour lookup is no longer claimed: the schema the caller registers may declare its index
    findings = engine.check(["."]).active
    assert not [f for f in findings if catalogue.lookup(f.rule).name == "collection-scan"]
