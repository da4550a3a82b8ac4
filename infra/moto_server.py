"""Runs moto's server (the local AWS emulator) with DynamoDB requests serialized.

moto checks a conditional write's condition and applies its update without isolation from
other request threads: two concurrent conditional updates of one item can both pass their
condition (seen here: five concurrent call starts against a limit of three started four).
DynamoDB makes every conditional write and every transaction atomic. Serializing DynamoDB
requests restores that guarantee (and more: one request at a time); other services, such as
SQS long polls, stay concurrent.

Usage: python infra/moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import os
import signal
import threading

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # werkzeug's threaded server does not stop on SystemExit raised in a signal handler.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
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
