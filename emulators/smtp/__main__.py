"""``python -m emulators.smtp --port 8125 --page-port 8126``: the demo's mail catcher."""

from __future__ import annotations

import argparse

from emulators.smtp import MailCatcher, page_app


def main() -> None:
    parser = argparse.ArgumentParser(description="SMTP mail catcher with a web page")
    parser.add_argument("--port", type=int, default=8125, help="SMTP port")
    parser.add_argument("--page-port", type=int, default=8126, help="port of the web page")
    arguments = parser.parse_args()
    catcher = MailCatcher().start(arguments.port)
    try:
        page_app(catcher).serve_forever(arguments.page_port)
    finally:
        catcher.stop()


if __name__ == "__main__":
    main()
