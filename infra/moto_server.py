"""Runs moto's server (the local AWS emulator) with DynamoDB requests serialized.

moto checks a conditional write's condition and applies its update without isolation from
other request threads: two concurrent conditional updates of one item can both pass their
condition (seen here: five concurrent call starts against a limit of three started four).
DynamoDB makes every conditional write and every transaction atomic. Serializing DynamoDB
requests restores that guarantee (and more: one request at a time); other services, such as
SQS long polls, stay concurrent.

It also makes transactions cost what they touch: moto 5.2.5 backs up every table a
transaction names with a deep copy of the whole table (to roll back on a cancelled
transaction), which made each transaction O(table size) and turned long simulations quadratic
(a 300-lead world took minutes, the server's memory grew by gigabytes). Here the backup is of
the items the transaction touches, restored the same way on cancellation.

Usage: python infra/moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import copy
import os
import signal
import threading
import types

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

_dynamodb = threading.Lock()


class SerializeDynamoDB:
    """WSGI middleware: one DynamoDB request at a time, response fully built under the lock."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with _dynamodb:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        return [body]


def _touched_items(backend, transact_items):
    """Copies of the items a transaction touches (None where there is none), with their keys."""
    saved = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        attrs = op.get("Item") or op.get("Key")
        if table is None or attrs is None or table.hash_key_attr not in attrs:
            continue
        hash_key = DynamoType(attrs[table.hash_key_attr])
        range_key = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in attrs:
                continue
            range_key = DynamoType(attrs[table.range_key_attr])
        item = table.get_item(hash_key, range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(item)))
    return saved


def _restore(saved):
    for table, hash_key, range_key, item in reversed(saved):
        if item is None:
            table.delete_item(hash_key, range_key)
        elif range_key is not None:
            table.items[hash_key][range_key] = item
        else:
            table.items[hash_key] = item


def _item_level_transactions():
    """Replaces moto's whole-table transaction backup by a backup of the touched items."""
    original = DynamoDBBackend.transact_write_items

    def deepcopy_except_tables(value, *args):
        # The whole-table backup becomes the table itself; its "restore" is then a no-op
        # and `_restore` puts the touched items back instead.
        return value if isinstance(value, Table) else copy.deepcopy(value, *args)

    dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy_except_tables)

    def transact_write_items(self, transact_items):
        saved = _touched_items(self, transact_items)
        try:
            return original(self, transact_items)
        except Exception:
            _restore(saved)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # werkzeug's threaded server does not stop on SystemExit raised in a signal handler.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    _item_level_transactions()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        SerializeDynamoDB(app),
        threaded=True,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
