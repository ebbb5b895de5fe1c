"""Every quantity the document states can be asked for, in a seller's own words, and comes back as the
document writes it. The table is written from the document; `python -m knowledge.build` reports the
same quantities, and a new one in the document fails the first test until it has a question here."""
import pytest

from knowledge import build
from tests.support.conversation import Conversation

# quantity as the build's matcher reads it → a question asking for it
QUESTIONS = {
    "3.1": "课程3.1是哪一章", "3.2": "3.2那章讲啥", "3.3": "3.3那章讲啥", "3.4": "3.4那章讲啥",
    "3.5": "3.5那章讲啥", "3.6": "3.6那章讲啥", "3.7": "3.7那章讲啥", "3.8": "3.8那章讲啥", "3.9": "3.9那章讲啥",
    "90天": "黄金90天是课程里哪一章",
    "1": "目录第1部分从第几页开始", "2": "目录第1部分从第几页开始", "3": "卖家百科划重点在目录第几页",
    "1.1": "目录里1.1在第几页", "4": "目录里1.1在第几页", "1.2": "目录里1.2在第几页", "10": "目录里1.2在第几页",
    "1.3": "目录里1.3在第几页", "11": "目录里1.3在第几页", "1.4": "目录里1.4在第几页", "16": "目录里1.4在第几页",
    "1.5": "目录里1.5在第几页", "18": "目录里1.5在第几页", "1.6": "目录里1.6在第几页", "22": "目录里1.6在第几页",
    "15%-20%": "供应链花费在跨境电商成本里占多少",
    "48个": "PCP在美国多少个州能用",
    "0.1CBM": "SEND海运最少要发多少", "0.5KG": "SEND空运最少要发多少",
    "4天": "SEND空运去美国最快几天", "5天": "SEND空运到德国要多久", "7天": "SEND空运中东多长时间",
    "28-30天": "SEND普船到美国西部要多久", "34-50天": "SEND普船去美国东部要几天",
    "23-27天": "SEND快船到美国西部几天", "33-43天": "SEND快船到美国东部多久", "33-45天": "SEND快船美国中部时效",
    "15-20天": "SEND特快船美国西部多久", "16-29天": "SEND特快船去美国东部多少天", "23-36天": "SEND特快船到美国中部要几天",
    "80%": "AWD仓储比FBA便宜多少",
    "$0.48": "AWD存储一立方英尺一个月多少钱", "$0.38": "AWD存储费打完折最低多少",
    "8折": "用AGL发到AWD仓储费打几折", "9折": "用AGL发到AWD运输费打几折",
    "15%": "AWD能把缺货降低多少",
    "2024年": "AWD降低缺货率的数据出自哪里",
    "20%-25%": "用了FBA卖家销售额能提高多少",
    "2亿": "FBA能接触到多少Prime会员",
    "2023年": "FBA哪一年实现了70亿件当日或次日达", "70亿": "FBA当日或次日达了多少件商品",
    "70%": "FBA比美国其他次日达服务便宜多少",
    "7*24小时": "FBA的客服什么时候有人",
    "130": "亚马逊的客服专员分布在多少个地点", "130个": "FBA覆盖多少个国家和地区",
    "400+": "亚马逊物流有几个运营中心", "100+": "亚马逊有多少架飞机", "200+": "亚马逊分拣中心有多少",
    "275,000": "亚马逊司机有多少人",
    "76%": "FBA有多少订单从顾客附近的运营中心发出",
    "2天": "MCF最快几天送到",
    "0": "零基础快速出单实操是Level几",
    "8小时": "零基础快速出单那个直播多长时间",
}


def test_every_quantity_of_the_document_has_a_question(base):
    in_document = {q for s in base.statements for q in build.quantities(s.text)}
    assert in_document - set(QUESTIONS) == set()


@pytest.mark.parametrize("quantity, question", sorted(QUESTIONS.items()))
def test_each_quantity_comes_back_as_the_document_writes_it(base, quantity, question):
    reply = Conversation(base).say("ask_service", question)
    written = quantity.replace("$", "")
    assert written in reply.replace(" ", "") and "「来源：" in reply, reply
