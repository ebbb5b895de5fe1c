"""Reading WeChat's XML safely and writing the passive replies.

Incoming XML is parsed with defusedxml: a DOCTYPE, entity declarations and external references are
refused (no XXE, no "billion laughs"); anything that is not a flat `<xml>` document is refused too.
"""
from __future__ import annotations

import re
import time

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring


class BadXML(ValueError):
    """The body is not a WeChat message we accept."""


# Characters XML 1.0 cannot carry, even escaped.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse(body: bytes | str) -> dict[str, str]:
    """A WeChat message `<xml><Field>value</Field>...</xml>` → {"Field": "value"}."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body or not body.strip():
        raise BadXML("empty body")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, SyntaxError) as error:
        raise BadXML(f"{type(error).__name__}: {error}") from error
    if root.tag != "xml":
        raise BadXML(f"root element is <{root.tag}>, not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if not isinstance(child.tag, str):  # comments, processing instructions
            continue
        fields[child.tag] = (child.text or "").strip() if len(child) == 0 else ""
    return fields


def cdata(text: str) -> str:
    text = _INVALID_XML_CHARS.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, create_time: int | None = None) -> str:
    """The passive text reply: to the user's OpenID, from the account's original ID."""
    return ("<xml>"
            f"<ToUserName>{cdata(to_user)}</ToUserName>"
            f"<FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(create_time if create_time is not None else time.time())}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content>"
            "</xml>")


def encrypted_reply(encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    return ("<xml>"
            f"<Encrypt>{cdata(encrypt)}</Encrypt>"
            f"<MsgSignature>{cdata(msg_signature)}</MsgSignature>"
            f"<TimeStamp>{int(timestamp)}</TimeStamp>"
            f"<Nonce>{cdata(nonce)}</Nonce>"
            "</xml>")
