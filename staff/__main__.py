"""The staff console from the command line (same functions as http://localhost:8080/staff):

    python -m staff search "AWD 仓储费"               facts by words (answer, section, quotes)
    python -m staff search --service 卫星仓 --attribute 费用
    python -m staff passages 1.4.1                    the passages of a section
    python -m staff conversations --sender oAbc --since 2024-05-01 --until "2024-05-02 18:00"
    python -m staff transcript <sender_id>            intent, confidence, actions and texts per turn
    python -m staff handoffs [--status open,taken]    the hand-off queue, newest first
    python -m staff handoff <sender_id> taken --by 小王   (taken | done | open)
    python -m staff unanswered [--threshold 0.6] [--csv unanswered.csv]
    python -m staff erase <sender_id> [--by 小王]    everything kept about one seller, on request
    python -m staff purge --older-than 180            conversations past the retention period
    python -m staff accounts add 小王 [--reveal] [--admin]   an agent's own token (list, remove, renew)

The database is TRACKER_DB_URL (default: the SQLite file .run/tracker.db), or --db URL. The command
line reads the database directly and needs no token. --json prints the API's JSON.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from staff.accounts import Accounts
from staff.store import Conflict, NotFound, Store, parse_time


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _pct(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def cmd_search(args) -> int:
    from staff.search import index

    hits = index().search(" ".join(args.words) or None, args.service, args.attribute, args.limit)
    if args.json:
        _print_json(hits)
        return 0
    if not hits:
        print("没有找到。")
    for n, hit in enumerate(hits, 1):
        print(f"{n}. {hit['owner_label']} · {hit['attribute_label']}   「来源：{hit['section']} {hit['section_title']}」")
        print(f"   {hit['answer']}")
        for quote in hit["quotes"]:
            print(f"   > {quote}")
    return 0


def cmd_passages(args) -> int:
    from staff.search import index

    found = index().passages(args.section)
    if args.json:
        _print_json(found)
        return 0
    print(f"{found['section']} {found['title']}")
    for p in found["passages"]:
        print(f"\n[{p['id']}]\n{p['text']}")
    return 0


def cmd_conversations(args) -> int:
    found = Store(args.db).conversations(args.sender, parse_time(args.since), parse_time(args.until), args.limit)
    if args.json:
        _print_json(found)
        return 0
    if not found:
        print("没有会话。")
    for c in found:
        handoff = f"  [转人工:{c['handoff']['status']}]" if c["handoff"] else ""
        print(f"{c['last_iso']}  {c['sender_id']}  {c['channel'] or ''}  {c['messages']} 条消息{handoff}  "
              f"最后一句：{c['last_message'] or ''}")
    return 0


def cmd_transcript(args) -> int:
    found = Store(args.db).transcript(args.sender_id)
    if args.json:
        _print_json(found)
        return 0
    print(f"会话 {found['sender_id']}（{found['channel'] or '未知渠道'}）{found['first_iso']} — {found['last_iso']}")
    if found["handoff"]:
        print(f"转人工：{found['handoff']['status']} {found['handoff']['actor'] or ''}")
    for item in found["items"]:
        if item["kind"] == "session":
            print(f"\n—— 新会话 {item['time_iso']} ——")
            continue
        user = item["user"]
        if user:
            print(f"\n{item['time_iso']}  用户：{user['text']}")
            print(f"    意图 {user['intent']}  置信度 {_pct(user['confidence'])}")
        for action in item["actions"]:
            print(f"    动作 {action['name']}  ({action['policy'] or ''} {_pct(action['confidence'])})")
        for bot in item["bot"]:
            print("    助手：" + (bot["text"] or "").replace("\n", "\n          "))
            if bot["buttons"]:
                print("    按钮：" + " | ".join(b or "" for b in bot["buttons"]))
        if item.get("focus"):
            print("    话题 " + item["focus"])
        slots = {k: v for k, v in item["slots"].items() if k != "focus"}
        if slots:
            print("    槽位 " + json.dumps(slots, ensure_ascii=False))
    return 0


def cmd_handoffs(args) -> int:
    statuses = [s for s in (args.status or "").split(",") if s] or None
    queue = Store(args.db).handoffs(statuses, args.limit)
    if args.json:
        _print_json(queue)
        return 0
    if not queue:
        print("转人工队列为空。")
    for q in queue:
        actor = f" ({q['actor']})" if q["actor"] else ""
        print(f"{q['requested_iso']}  [{q['status']}{actor}]  {q['sender_id']}  {q['channel'] or ''}  {q['text'] or ''}")
    return 0


def cmd_handoff(args) -> int:
    """As the console's 接入/完成: through Takeover, so the bot steps aside and the seller is told."""
    from staff.takeover import Refused, Takeover

    try:
        if args.status == "taken":
            result = asyncio.run(Takeover(Store(args.db)).take(args.sender_id, args.by))
        else:
            result = asyncio.run(Takeover(Store(args.db)).finish(args.sender_id, args.by, args.status))
    except (Refused, Conflict) as error:
        print(str(error), file=sys.stderr)
        return 1
    if args.json:
        _print_json(result)
    else:
        print(f"{result['sender_id']} → {result['status']}" + (f"（{result['actor']}）" if result["actor"] else ""))
    return 0


def cmd_erase(args) -> int:
    counts = Store(args.db).erase(args.sender_id, args.by or "命令行")
    if args.json:
        _print_json(counts)
    elif not any(counts.values()):
        print(f"没有这个卖家的数据：{args.sender_id}", file=sys.stderr)
        return 1
    else:
        print("已删除：" + "，".join(f"{table} {n} 行" for table, n in counts.items() if n))
    return 0


def cmd_accounts(args) -> int:
    """Staff accounts (staff/accounts.py): a token is printed once, when made."""
    accounts = Accounts(Store(args.db).engine)
    if args.action == "list":
        found = accounts.list()
        if args.json:
            _print_json(found)
        for a in found if not args.json else []:
            rights = "、".join(r for r, on in (("查看个人信息", a["can_reveal"]), ("管理员", a["admin"])) if on) or "普通"
            print(f"{a['name']}\t{rights}\t{datetime.fromtimestamp(a['created_at']).isoformat(timespec='seconds')}")
        return 0
    if not args.name:
        print(f"accounts {args.action} 需要账号名", file=sys.stderr)
        return 2
    try:
        if args.action == "remove":
            if not accounts.remove(args.name):
                print(f"没有账号 {args.name}", file=sys.stderr)
                return 1
            print(f"已删除账号 {args.name}")
            return 0
        token = accounts.add(args.name, can_reveal=args.reveal, admin=args.admin) if args.action == "add" \
            else accounts.renew(args.name)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"{args.name} 的令牌（只显示这一次，请交给本人保管）：\n{token}")
    return 0


def cmd_purge(args) -> int:
    result = Store(args.db).purge(args.older_than, args.by or "命令行")
    if args.json:
        _print_json(result)
    else:
        print(f"已删除 {result['conversations']} 个超过 {args.older_than:g} 天没有活动的会话")
    return 0


def cmd_unanswered(args) -> int:
    from staff import unanswered

    groups = unanswered.group(Store(args.db).user_messages(parse_time(args.since), parse_time(args.until)),
                              args.threshold)
    if args.csv:
        text = unanswered.to_csv(groups)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            Path(args.csv).write_text(text, encoding="utf-8")
            print(f"{len(groups)} 组，{sum(g['count'] for g in groups)} 条消息 → {args.csv}")
        return 0
    if args.json:
        _print_json(groups)
        return 0
    if not groups:
        print("没有未解决的问题。")
    for g in groups:
        reasons = ", ".join(f"{k}×{v}" for k, v in g["reasons"].items())
        print(f"{g['count']:>4}  {g['text']}   ({reasons}; 最近 {g['last_iso']})")
        for v in g["variants"][1:]:
            print(f"        {v['count']:>3}  {v['text']}")
    return 0


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)  # --db and --json before or after the command
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="tracker store URL (default: $TRACKER_DB_URL or sqlite .run/tracker.db)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    p = argparse.ArgumentParser(prog="python -m staff", description="客服控制台（命令行）", parents=[common])
    sub = p.add_subparsers(dest="command", required=True)

    def command(*args, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(*args, parents=[common], **kwargs)

    s = command("search", help="search the knowledge base's facts")
    s.add_argument("words", nargs="*")
    s.add_argument("--service")
    s.add_argument("--attribute")
    s.add_argument("--limit", type=int, default=10)
    s.set_defaults(run=cmd_search)

    s = command("passages", help="the passages of a section, e.g. 1.4.1")
    s.add_argument("section")
    s.set_defaults(run=cmd_passages)

    s = command("conversations", help="find conversations by sender id or time")
    s.add_argument("--sender", help="part of the sender id (web session id, WeChat OpenID)")
    s.add_argument("--since", help="ISO 8601 date/time or epoch seconds")
    s.add_argument("--until", help="ISO 8601 date/time or epoch seconds")
    s.add_argument("--limit", type=int, default=50)
    s.set_defaults(run=cmd_conversations)

    s = command("transcript", help="read one conversation")
    s.add_argument("sender_id")
    s.set_defaults(run=cmd_transcript)

    s = command("handoffs", help="the hand-off queue, newest first")
    s.add_argument("--status", help="comma-separated: open,taken,done (default: all)")
    s.add_argument("--limit", type=int, default=200)
    s.set_defaults(run=cmd_handoffs)

    s = command("handoff", help="mark a hand-off taken, done or open")
    s.add_argument("sender_id")
    s.add_argument("status", choices=("taken", "done", "open"))
    s.add_argument("--by", help="who takes it")
    s.set_defaults(run=cmd_handoff)

    s = command("erase", help="erase everything kept about one seller (tracker, hand-offs, feedback)")
    s.add_argument("sender_id")
    s.add_argument("--by", help="who asks for it (recorded)")
    s.set_defaults(run=cmd_erase)

    s = command("accounts", help="staff accounts: add, list, remove, renew (each agent's own token)")
    s.add_argument("action", choices=("add", "list", "remove", "renew"))
    s.add_argument("name", nargs="?")
    s.add_argument("--reveal", action="store_true", help="may reveal a conversation's personal data (recorded)")
    s.add_argument("--admin", action="store_true", help="the audit, knowledge releases, and reveal")
    s.set_defaults(run=cmd_accounts)

    s = command("purge", help="erase conversations with no activity for longer than the retention period")
    s.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    s.add_argument("--by", help="who runs it (recorded)")
    s.set_defaults(run=cmd_purge)

    s = command("unanswered", help="unanswered questions grouped by wording")
    s.add_argument("--threshold", type=float, default=0.6, help="confidence below this counts (default 0.6)")
    s.add_argument("--since")
    s.add_argument("--until")
    s.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-' for stdout)")
    s.set_defaults(run=cmd_unanswered)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.db, args.json = getattr(args, "db", None), getattr(args, "json", False)
    try:
        return args.run(args)
    except NotFound as error:
        print(str(error), file=sys.stderr)
        return 1
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    except BrokenPipeError:  # `| head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
