"""An SMTP sink for the mail tests (tests/it/mail.rs, tests/it/mail_kill.rs).

Run as `python3 -m aiosmtpd -n -l 127.0.0.1:<port> -c mail_sink.Sink <dir> [delay-seconds]`
with this directory on PYTHONPATH. Each accepted message is written to <dir> as one JSON file
(envelope recipients and the decoded From, To, Subject, Message-ID and text body, parsed by
Python's email package so the tests need no MIME decoder), first under a temporary name, then
renamed, so a reader never sees half a message. The optional delay slows every DATA command
down, so that a test can kill the sender mid-batch.
"""

import email
import email.policy
import json
import os
import time
import uuid


class Sink:
    def __init__(self, directory, delay=0.0):
        self.directory = directory
        self.delay = delay
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if not args:
            parser.error("mail_sink.Sink needs the output directory")
        delay = float(args[1]) if len(args) > 1 else 0.0
        return cls(args[0], delay)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)
        name = "%d-%s.json" % (time.time_ns(), uuid.uuid4().hex)
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        msg = email.message_from_bytes(content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "rcpt": list(envelope.rcpt_tos),
            "from": str(msg["From"] or ""),
            "to": str(msg["To"] or ""),
            "subject": str(msg["Subject"] or ""),
            "messageId": str(msg["Message-ID"] or ""),
            "body": body.get_content() if body is not None else "",
        }
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 OK"
