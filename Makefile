# Two commands: `make run` sets up and starts the app; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

# The data (data/) and NLTK's tagger (nltk_data/) ship in the repository and are found without settings;
# TAGGER_DATA and NLTK_DATA, when set, point elsewhere.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export TF_ENABLE_ONEDNN_OPTS ?= 0

.PHONY: setup run test lint browser bench models baseline-scores clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The benchmark's peers (fastText) and chart writer.
$(VENV)/.installed-bench: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

# Test and lint tools; the tests run the benchmark in quick mode, so they need its peers too.
$(VENV)/.installed-dev: $(VENV)/.installed-bench requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

# Playwright's own browser download can't work offline; Debian's chromium can.
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -q && apt-get install -y -q chromium) >/dev/null || \
	  { echo "could not install chromium: run 'apt-get install chromium' as root"; exit 1; }; }

run: setup
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

test: $(VENV)/.installed-dev browser
	$(PY) -m ruff check .
	$(PY) -m pytest -q

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .

bench: $(VENV)/.installed-bench
	$(PY) -m bench

clean:
	rm -rf $(VENV) .cache test-output

# Rebuild the shipped models from the data (data/cooking.csv.gz, or TAGGER_DATA). --all-rows measures the
# recipe on the fixed split (a twin trained on the first 10,000 questions, scored on the last 2,404 beside
# the TF-IDF baseline: its numbers land in metadata.json and it is kept in split/), then trains the model
# on every question with the epochs and threshold the twin chose.
models: setup
	$(PY) -m tagger train --all-rows --epochs 15 --min-token-count 2 --overwrite --out models/all-words --pos all --members 3
	$(PY) -m tagger train --all-rows --epochs 15 --min-token-count 2 --overwrite --out models/nouns-gerunds --pos NN,NNS,VBG --members 3
	$(PY) -m tagger train --all-rows --epochs 15 --min-token-count 2 --overwrite --out models/nouns-gerunds-softmax --pos NN,NNS,VBG \
	  --output softmax
	# Title + body (data/cooking-posts.csv.gz unless TAGGER_DATA is set): the first 64 body tokens and 8,000 tokens
	# in the vocabulary; a 256-dim bag of words (on validation rows cut from the training rows it ranked better
	# than 64: P@1 +0.010, R@5 +0.016; 512 added nothing). Two members (P@1 0.701 -> 0.709, R@5 0.699 -> 0.708 on
	# those rows, seeds 1, 2). Then a wide branch, TF-IDF + LR fitted on the same rows and tokens and given half
	# of the output, and a rarity shift of 0.3 (on 8,500 fit / 1,500 scored rows, seeds 1, 2: 0.708 / 0.700 for
	# the Conv1D alone -> 0.701 / 0.723 with the wide branch -> 0.727 / 0.725 with the shift). Then the neighbours
	# branch: the votes of the 100 training questions nearest by TF-IDF cosine take 0.3 of the output and the wide
	# branch 0.4 (same rows: 0.740 / 0.738; 3 members 0.740 / 0.740 and 128 body tokens 0.741 / 0.739, each at
	# 1.5-2x the training time, were not worth it). Then the tag-name boost: +1.0 on the logit of a tag the title
	# names, +0.25 for one the question names anywhere (same rows: 0.742 / 0.747; README, Title and body).
	$(PY) -m tagger train --all-rows --epochs 15 --min-token-count 2 --overwrite --out models/title-body --pos all \
	  --body-len 64 --body-pos all --max-vocab 8000 --bag-dim 256 --members 2 --wide 0.4 --knn 0.3 --rarity 0.3 \
	  --mention-title 1.0 --mention-body 0.25

# The TF-IDF baseline's scores on the Retrain page's default slices (data/baseline-scores/): rewrite them after
# changing the data, the token pipeline or the baseline (tests/test_baselines.py says when).
baseline-scores: setup
	rm -f data/baseline-scores/tfidf-*.json
	$(PY) -m tagger baselines
