"""Runs moto's server (the local AWS emulator) with DynamoDB requests serialized.

moto checks a conditional write's condition and applies its update without isolation from
other request threads: two concurrent conditional updates of one item can both pass their
condition (seen here: five concurrent call starts against a limit of three started four).
DynamoDB makes every conditional write and every transaction atomic. Serializing DynamoDB
requests restores that guarantee (and more: one request at a time); other services, such as
SQS long polls, stay concurrent.

It also makes requests cost what they touch, where moto 5.2.5 pays for the whole table, which
turned long simulations quadratic (a hostile 300-lead world took ~9 minutes, a 1,000-lead world
over 10, and the server's memory grew by gigabytes):
- a transaction backed up every table it names with a deep copy of the whole table (to roll
  back on cancellation); here the backup is of the items it touches, restored the same way;
- every query listed and *sorted* every item of the table before keeping its partition (60% of
  the server's time in a profile of a 1,000-lead run); here a table query reads its partition
  and an index query filters the items unsorted (its matches are sorted afterwards, as before).

SQS likewise: moto 5.2.5 builds a queue's whole attribute map — three passes over every
message in the queue for its approximate counts — whenever one attribute is read, and every
SendMessage reads one (`ContentBasedDeduplication`). With hundreds of delayed messages on the
webhook queue that was a third of the server's time in a profile of the noisy-neighbour run;
here each attribute is computed when it is read. The per-request access log is off (another
twelfth of the time); errors still reach the server's log.

Usage: python infra/emulator/server.py -H 127.0.0.1 -p PORT
"""

import argparse
import copy
import json
import logging
import os
import signal
import threading
import types
from collections.abc import Mapping

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from moto.core.utils import camelcase_to_underscores
from moto.sqs.models import Queue as SqsQueue
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


def _partition_queries():
    """Queries without sorting the whole table first (see the module's doc)."""
    original = Table.query

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
              scan_index_forward, projection_expressions, index_name=None, *args, **kwargs):
        def candidates():
            if index_name is None and hash_key is not None:
                partition = self.items.get(hash_key)
                if partition is None:
                    return []
                return list(partition.values()) if self.range_key_attr else [partition]
            items = []
            for partition in self.items.values():
                if self.range_key_attr:
                    items.extend(partition.values())
                else:
                    items.append(partition)
            return items

        # DynamoDB requests are serialized (SerializeDynamoDB): shadowing the method on the
        # instance for the duration of this query affects no other request.
        self.all_items = candidates
        try:
            return original(self, hash_key, range_comparison, range_objs, limit,
                            exclusive_start_key, scan_index_forward, projection_expressions,
                            index_name, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query


class _LazyQueueAttributes(Mapping):
    """A queue's attributes as moto's `Queue.attributes` gives them, each computed on reading."""

    def __init__(self, queue):
        self.queue = queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            names += queue.KMS_ATTRIBUTES
        self.names = names

    def __getitem__(self, name):
        if name not in self.names:
            raise KeyError(name)
        queue = self.queue
        value = getattr(queue, camelcase_to_underscores(name))
        if name == "Policy" and queue.policy:
            value = queue.policy
        if name == "RedrivePolicy" and queue.redrive_policy:
            value = json.dumps(queue.redrive_policy)
        if isinstance(value, bool):
            value = str(value).lower()
        return value

    def __iter__(self):
        return iter(self.names)

    def __len__(self):
        return len(self.names)


def _lazy_queue_attributes():
    """Reads a queue's attributes one at a time (see the module's doc)."""
    SqsQueue.attributes = property(_LazyQueueAttributes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # werkzeug's threaded server does not stop on SystemExit raised in a signal handler.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    _item_level_transactions()
    _partition_queries()
    _lazy_queue_attributes()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
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
