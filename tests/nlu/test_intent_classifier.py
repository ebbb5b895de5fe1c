"""The intent classifier (addons/nlu/intent_classifier.py): its features are scikit-learn's TF-IDF, it
learns the training data, survives persist/load unchanged, and says nothing about unknown input."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer

from addons.nlu.intent_classifier import CHAR, LinearIntentClassifier, _Vectorizer, features
from addons.nlu.tokenizer import NormalizingJiebaTokenizer

EXAMPLES = {
    "greet": ["你好", "在吗", "hello", "哈喽", "您好呀", "hi there"],
    "ask_price": ["AWD多少钱", "仓储费怎么收", "SEND运费贵吗", "FBA费用多少", "收费标准是啥", "价格表有吗"],
    "request_human": ["转人工", "找真人客服", "我要人工", "人工服务", "叫客服来", "talk to a human"],
}


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    config = {**NormalizingJiebaTokenizer.get_default_config(), "dictionary_path": "knowledge/generated/jieba"}
    return NormalizingJiebaTokenizer(config, LocalModelStorage(tmp_path_factory.mktemp("tok")), Resource("tokenizer"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tokenizer):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("intent_classifier")
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
    tokenizer.process_training_data(data)
    classifier = LinearIntentClassifier.create(
        LinearIntentClassifier.get_default_config(), storage, resource, ExecutionContext(GraphSchema({}), "test"))
    classifier.train(data)
    return classifier, storage, resource


def classify(classifier, tokenizer, text):
    message = Message(data={"text": text})
    tokenizer.process([message])
    classifier.process([message])
    return message


def test_it_learns_the_training_intents(trained, tokenizer):
    classifier, _, _ = trained
    assert classify(classifier, tokenizer, "AWD仓储费多少钱").get("intent")["name"] == "ask_price"
    assert classify(classifier, tokenizer, "帮我转人工客服").get("intent")["name"] == "request_human"
    assert classify(classifier, tokenizer, "hello 在吗").get("intent")["name"] == "greet"


def test_ranking_is_a_probability_distribution_best_first(trained, tokenizer):
    ranking = classify(trained[0], tokenizer, "费用多少").get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert [r["name"] for r in ranking][0] == "ask_price"
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)


def test_persisted_model_is_plain_data_and_predicts_the_same(trained, tokenizer):
    classifier, storage, resource = trained
    loaded = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage, resource,
                                         ExecutionContext(GraphSchema({}), "test"))
    with storage.read_from(resource) as model_dir:
        assert sorted(p.name for p in model_dir.iterdir()) == ["vocabulary.json", "weights.npy"]
    for text in ["AWD多少钱呀", "真人呢", "hi", "完全无关的一句话"]:
        assert classify(loaded, tokenizer, text).get("intent_ranking") == \
            classify(classifier, tokenizer, text).get("intent_ranking")


def test_a_message_with_nothing_known_gets_no_intent(trained, tokenizer):
    message = classify(trained[0], tokenizer, "🙂🙂")
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


def test_untrained_classifier_loads_and_classifies_nothing(tmp_path, tokenizer):
    classifier = LinearIntentClassifier.load({}, LocalModelStorage(tmp_path), Resource("missing"),
                                             ExecutionContext(GraphSchema({}), "test"))
    assert classify(classifier, tokenizer, "你好").get("intent") == {"name": None, "confidence": 0.0}


def test_character_features_equal_scikit_learns_sublinear_tfidf(tokenizer):
    texts = ["AWD 仓储费 多少钱", "ok ok 好的", "转人工", "FBA 和 AWD 有啥区别 区别"]
    messages = [Message(data={"text": t}) for t in texts]
    tokenizer.process(messages)
    documents = [{"chars": features(m, 3)["chars"]} for m in messages]
    ours = _Vectorizer.fit(documents).transform(documents).toarray()
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True)
    theirs = reference.fit_transform([m.get("text") for m in messages]).toarray()
    # Ours leaves out the bare padding " " (in every document, no information); renormalise without it.
    theirs[:, reference.vocabulary_[" "]] = 0
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    del reference.vocabulary_[" "]
    # Same vocabulary (ours carries a block prefix), so compare column by column in sorted order.
    assert sorted(reference.vocabulary_) == sorted(t[len(CHAR):] for t in _Vectorizer.fit(documents).index)
    order = [reference.vocabulary_[t[len(CHAR):]] for t in sorted(_Vectorizer.fit(documents).index)]
    np.testing.assert_allclose(ours, theirs[:, order], atol=1e-12)
