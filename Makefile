# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SEED ?= 1
DATA ?= ../shared/data
SCALE ?= 0.1
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format bench install lock migrate demo clean

install: $(INSTALLED)

# requirements.lock pins every package (a pip constraints file), so installs are reproducible.
$(INSTALLED): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(INSTALLED)

# Regenerate the lock after changing pyproject.toml.
lock: $(INSTALLED)
	$(PY) -m pip freeze --exclude-editable | sed -E 's/^(torch==[0-9.]+)\+.*/\1/' > requirements.lock

migrate: $(INSTALLED)
	$(PY) manage.py migrate --no-input

run: migrate
	$(PY) manage.py ensure_admin
	$(PY) manage.py seed_demo --seed $(SEED)
	$(PY) manage.py customer_scores --backfill-weeks 12
	$(PY) manage.py purchase_propensity
	$(PY) manage.py behaviour_clusters
	$(PY) manage.py search_insights
	$(PY) manage.py sales_forecast
	$(PY) manage.py price_suggestions
	$(PY) manage.py sentiment_bootstrap
	$(PY) manage.py recommendations_bootstrap
	$(PY) manage.py support_seed --demo-shopper
	$(PY) manage.py marketing_demo
	$(PY) manage.py campaign_effects
	PORT=$(PORT) $(PY) -m config.launcher

# One pytest-xdist worker per core (tests/parallel.py keeps their files and queues apart),
# then the few tests that xdist cannot run, in one process. `make test TEST_WORKERS=0` runs
# the first pass in one process too.
TEST_WORKERS ?= auto
test: $(INSTALLED)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not single_process"
	$(PY) -m pytest -n 0 -m single_process --durations=5

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The last two need the local PostgreSQL and Redis (and wrk): the storefront under load, and
# the store at scale (SCALE=1 is the full-size store: about 40 minutes of importing and
# copying on 2 cores, plus the nightly jobs).
bench: $(INSTALLED)
	$(PY) benchmarks/encoder_throughput.py $(DATA)/womens_clothing_reviews/Womens_Clothing_E-Commerce_Reviews.csv
	$(PY) benchmarks/forecast_quality.py --csv $(DATA)/walmart_sales/train.csv.gz
	$(PY) benchmarks/forecast_intermittent.py --csv $(DATA)/online_retail/int_online_tx.csv
	$(PY) benchmarks/bandit_regret.py
	$(PY) benchmarks/adcopy_quality.py var
	$(PY) benchmarks/load_api.py --data $(DATA)
	$(PY) benchmarks/scale_data.py --scale $(SCALE)

clean:
	rm -rf var
