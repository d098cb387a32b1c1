"""node-postgres's streaming readers run the text they are given (holdout 81's @cardstack/pgsearch:
`_iterateThroughRows(sql, params, fn) { ... client.query(new Cursor(sql, params)) ... }`, called with each statement):
`client.query(new Cursor(text, values))` (pg-cursor) and `new QueryStream(text, values)` (pg-query-stream) are
execution calls of `text`, and a method that hands its parameter to one is a helper whose calls run their text."""

from advisor.sources import extract

CLIENT = """\
const Cursor = require('pg-cursor');
const QueryStream = require('pg-query-stream');

class Client {
  async _iterateThroughRows(sql, params, fn) {
    const client = await this.pool.connect();
    const cursor = client.query(new Cursor(sql, params));
    return fn(cursor);
  }
  async expired(fn) {
    await this._iterateThroughRows('select id, type from documents where expires < now()', [], fn);
  }
  stream(client) {
    return client.query(new QueryStream('select id from documents where source = $1', ['git']));
  }
}
module.exports = Client;
"""


def test_a_cursor_and_a_query_stream_run_their_text():
    texts = {(q.location.line, q.text) for q in extract("client.js", CLIENT).queries}
    assert (11, "select id, type from documents where expires < now()") in texts
    assert (14, "select id from documents where source = $1") in texts
