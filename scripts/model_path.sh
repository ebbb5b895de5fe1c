#!/usr/bin/env bash
# Prints the path of the model for the current training inputs: models/<fingerprint>.tar.gz.
# The fingerprint covers everything that changes what `rasa train` produces: the configuration,
# domain and data, the NLU components, and the normal form they train on (knowledge/text.py, the
# vocabulary's typos) with the generated jieba dictionary.
set -euo pipefail
cd "$(dirname "$0")/.."
fingerprint=$(
  { find config.yml domain.yml data addons/nlu knowledge/text.py knowledge/vocabulary.yml knowledge/generated/jieba -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) -print0 \
      | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16
)
echo "models/zh-${fingerprint}.tar.gz"
