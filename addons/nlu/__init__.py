"""The project's NLU components, named in config.yml: thin adapters over the knowledge package.

tokenizer.py          NormalizingJiebaTokenizer: the knowledge base's normal form, then jieba
entities.py           KnowledgeEntityExtractor: the knowledge base's mentions, canonical values
intent_classifier.py  LinearIntentClassifier: TF-IDF over words and character n-grams, logistic regression
"""
