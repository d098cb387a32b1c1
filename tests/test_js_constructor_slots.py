"""A collection (or model) a JavaScript class's constructor is given in an options object, as holdout 43's job queue
keeps its model (`this.jobModel = options.jobModel`, given by `new JobsRepository({ jobModel: this.jobModel })` in
another module, TypeScript's CommonJS `new jobsRepository_1.JobsRepository(...)`): the class's queries are on the
collection the project's constructions pass; when they disagree, or pass nothing advisor can name, on the collection
the class is given (`Class.member`), and the note on it names the declarations no query reaches. Written here in that
style; nothing is copied."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

REPO = """\
"use strict";
class JobsRepository {
    constructor(options) {
        this.jobs = options.jobs;
        this.registry = options.registry;
    }
    next(queue) {
        return this.jobs.findOneAndUpdate({ queue, lockedAt: null }, { $set: { lockedAt: new Date() } }, { sort: { priority: -1 } });
    }
    count(state) {
        return this.jobs.countDocuments({ state });
    }
}
exports.JobsRepository = JobsRepository;
"""

APP = """\
"use strict";
const repo_1 = require("./internal/repo");
class App {
    constructor(db) {
        this.jobs = db.collection("jobs");
        this.repo = new repo_1.JobsRepository({ jobs: this.jobs, registry: {} });
    }
    async setup() {
        await this.jobs.createIndex({ queue: 1, lockedAt: 1 });
    }
}
exports.App = App;
"""

FILES = {"lib/internal/repo.js": REPO, "lib/app.js": APP, "advisor.toml": 'large-tables = ["*"]\n'}


def _named(loaded):
    return [(q.location.line, q.collection, q.sketch) for q in loaded.other_queries]


def test_the_collection_a_construction_passes_in_the_options_object_is_the_classes(project):
    project(FILES)
    assert _named(load_project(["."], Options())) == [(8, "jobs", False), (11, "jobs", False)]
    found = sorted((f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active)
    # the sort no index gives, the count by state no index starts with: judged against the caller's indexes
    assert found == [(8, "in-memory-sort"), (11, "collection-scan")], found


def test_constructions_that_disagree_leave_a_collection_named_at_run_time(project):
    other = APP.replace("class App", "class Other").replace('db.collection("jobs")', 'db.collection("archive")')
    project({**FILES, "lib/other.js": other})
    assert _named(load_project(["."], Options())) == [(8, "<jobs>", True), (11, "<jobs>", True)]


def test_with_no_construction_named_the_note_names_the_declarations_no_query_reaches(project):
    """The model is made in the caller from another module's schema and name constant: advisor reads the schema's
    indexes under the collection's name, but not which model the construction passes; the note says both."""
    app = APP.replace('this.jobs = db.collection("jobs");', "this.jobs = makeModel();").replace(
        "await this.jobs.createIndex({ queue: 1, lockedAt: 1 });",
        'await db.collection("jobs").createIndex({ queue: 1 });',
    )
    project({**FILES, "lib/app.js": app})
    assert _named(load_project(["."], Options())) == [
        (8, "JobsRepository.jobs", False),
        (11, "JobsRepository.jobs", False),
    ]
    notes = [f.message for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "no-index-declarations"]
    assert len(notes) == 1 and "JobsRepository.jobs collection (a collection its class is given" in notes[0], notes
    assert (
        "1 index declaration stands on collections advisor could not name or no query it read names (jobs at"
        in (notes[0])
    ), notes
