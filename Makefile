# Borrowing Strength: two commands set up everything.
#   make book   build the website into _build/html (executing every chapter)
#   make test   run every test: hlmkit unit tests, the strict book build, checks on the built site
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUILD  := _build
JB     := HLMKIT_PROGRESSBAR=0 $(BIN)/jupyter-book

# One BLAS thread per process: the sampler already runs one chain per core, extra BLAS threads
# only fight over the two cores, and a fixed thread count keeps seeded runs reproducible.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: help venv book course-site test lint unit book-strict site-check browser screenshots publish-notebooks pdf notebooks student answers student-check release grade merge bench seeds seeds-check clean clean-all

help:
	@echo "make book       set up .venv and build the website into $(BUILD)/html"
	@echo "make test       set up .venv and run every test (unit, strict build, site checks)"
	@echo "make pdf        build the website, then print it as one PDF: $(BUILD)/html/borrowing-strength.pdf"
	@echo "make screenshots  build the website, then save a screenshot of every page into $(BUILD)/screenshots"
	@echo "make course-site  build the website without its solutions into $(BUILD)/course (for a term)"
	@echo "make notebooks  write every chapter as a Jupyter notebook into $(BUILD)/notebooks"
	@echo "make student [CHAPTERS='02 03']   write student notebooks (solutions and hidden checks removed)"
	@echo "                into $(BUILD)/student (default: every chapter)"
	@echo "make answers [CHAPTERS='02 03']   write answers notebooks (reference solutions in, for instructors"
	@echo "                only) into $(BUILD)/answers (default: every chapter)"
	@echo "make student-check  run every chapter's student notebook as a student gets it (minutes)"
	@echo "make release CHAPTERS='02 03' NAME=week-2   freeze an assignment into releases/NAME (hand out its student/)"
	@echo "make grade SUBMISSIONS=dir [RELEASE=releases/NAME]   grade submitted notebooks into $(BUILD)/grades"
	@echo "make merge GRADES=_build/grades/RUN   add the hand marks of RUN/hand_grading.csv to its totals"
	@echo "make bench      benchmark the samplers and the scaling series (minutes; writes bench/results.csv)"
	@echo "make seeds [CHAPTERS='04 12'] [SEEDS=20] [GENERIC=3] [JOBS=2]"
	@echo "                run chapters over many seeds, some on a generic CPU (writes bench/seeds.csv)"
	@echo "make clean      remove the built site (keeps .venv)"

# The virtual environment, from the exact pins in requirements.txt (rebuilt when they change).
$(STAMP): requirements.txt pyproject.toml
	@python=$$(scripts/find-python) || exit 1; \
	if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "$(VENV) uses an old Python: recreating it"; rm -rf $(VENV); fi; \
	[ -x $(BIN)/python ] || { echo "Creating $(VENV) with $$("$$python" --version)"; "$$python" -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

# Chapters run two at a time into the execution cache first (BOOK_JOBS=1: one at a time); the
# build then finds them executed. See scripts/execute_chapters.py.
BOOK_JOBS ?= 2

book: venv
	@scripts/cache-guard
	@HLMKIT_PROGRESSBAR=0 $(BIN)/python scripts/execute_chapters.py --jobs $(BOOK_JOBS)
	$(JB) build . --builder html
	@$(MAKE) --no-print-directory publish-notebooks
	@echo
	@echo "The book is built. Open it in a browser:"
	@echo "  file://$(CURDIR)/$(BUILD)/html/index.html"

test: venv
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint && $(MAKE) --no-print-directory seeds-check SEEDS_REQUIRED=$(TEST_SEEDS_REQUIRED) && \
	$(MAKE) --no-print-directory unit && \
	$(MAKE) --no-print-directory book-strict && \
	$(MAKE) --no-print-directory site-check; \
	status=$$?; echo "make test took $$(( $$(date +%s) - start )) s"; exit $$status

# Lint (ruff: pycodestyle, pyflakes, numpy docstrings, imports, pyupgrade, NumPy, bugbear) and types
# (mypy), configured in pyproject.toml.
lint: venv
	$(BIN)/python -m ruff check hlmkit coursework scripts tests bench
	$(BIN)/python -m mypy

# Tests run in TEST_JOBS processes (pytest-xdist). Most of a test's time is one core compiling a model,
# so two processes keep both cores busy; --dist loadscope keeps a module's (or class's) shared fits in
# one process, so no fit is compiled twice, and --no-loadscope-reorder hands out modules in collection
# order, the longest first (tests/conftest.py). TEST_JOBS=0 runs them in this process, one at a time.
TEST_JOBS ?= 2
PYTEST_JOBS = $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadscope --no-loadscope-reorder)
# The site checks share no fits: any test to any process (each starts its own browser and server).
SITE_JOBS = $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist load)

unit: venv
	$(BIN)/python -m pytest tests --ignore=tests/site --doctest-modules hlmkit coursework -q --durations=12 $(PYTEST_JOBS)

# Strict: any Sphinx warning, cell error or cell timeout fails. --all re-reads every page, so a
# warning from an earlier failed build cannot hide behind an incremental rebuild.
book-strict: venv
	@scripts/cache-guard
	@HLMKIT_PROGRESSBAR=0 $(BIN)/python scripts/execute_chapters.py --jobs $(BOOK_JOBS)
	$(JB) build . --builder html --all --warningiserror --keep-going
	@$(MAKE) --no-print-directory publish-notebooks

# The course site: the website without its solutions, to publish while a class works the exercises.
# Built from the same execution cache as `make book`, into $(BUILD)/course/_build/html.
course-site: venv
	@scripts/cache-guard
	@HLMKIT_PROGRESSBAR=0 $(BIN)/python scripts/execute_chapters.py --jobs $(BOOK_JOBS)
	BOOK_COURSE_SITE=1 $(JB) build . --builder html --path-output $(BUILD)/course
	@# The intro's notebook links serve the student notebooks here, not the executed chapters.
	$(BIN)/python -m coursework student --out $(BUILD)/course/_build/html/notebooks
	@echo "The course site (no solutions): file://$(CURDIR)/$(BUILD)/course/_build/html/index.html"

# The whole book as one PDF, printed from the built site by Chromium: _build/html/borrowing-strength.pdf
pdf: book browser
	$(BIN)/python scripts/book_pdf.py

# Every chapter as a notebook with its outputs, next to the pages: _build/html/notebooks/*.ipynb
publish-notebooks:
	@$(BIN)/python scripts/publish_notebooks.py

site-check: venv browser
	$(BIN)/python -m pytest tests/site -q --durations=8 $(SITE_JOBS)

# A screenshot of every page of the built site, whole, for a person to look at: _build/screenshots/
# (the browser tests of the pages run too; make test leaves the screenshots out).
screenshots: book browser
	BOOK_SCREENSHOTS=1 $(BIN)/python -m pytest tests/site/test_browser.py -q -k page_renders $(SITE_JOBS)
	@echo "Screenshots: $(CURDIR)/$(BUILD)/screenshots/"

# The browser tests drive the system's Chromium (Playwright downloads no browser).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests (apt-get)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium. Install it (Debian/Ubuntu: sudo apt-get install chromium;"; \
	    echo "macOS: brew install --cask chromium) and run make test again."; exit 1; \
	  fi; }

# Coursework: student notebooks without solutions, and grading of submitted notebooks.
# make student [CHAPTERS='02 03']: those chapters' student notebooks (default: every chapter)
student: venv
	$(BIN)/python -m coursework student $(CHAPTERS) --out $(BUILD)/student

# make answers [CHAPTERS='02 03']: each chapter's answers notebook, the student notebook with the
# reference solutions filled in (what the grader expects), for instructors only
answers: venv
	$(BIN)/python -m coursework answers $(CHAPTERS) --out $(BUILD)/answers

# Every chapter's student version executed as a student gets it (make test runs chapters 2 and 4 so).
student-check: venv
	COURSEWORK_EXECUTE=all $(BIN)/python -m pytest tests/coursework/test_student_versions.py -q

# make release CHAPTERS="02 03" NAME=week-2: freeze an assignment into releases/NAME (hand out its student/)
release: venv
	@test -n "$(CHAPTERS)" -a -n "$(NAME)" || { echo "usage: make release CHAPTERS='02 03' NAME=week-2"; exit 2; }
	$(BIN)/python -m coursework release $(CHAPTERS) --out releases/$(NAME)

# make grade SUBMISSIONS=folder [RELEASE=releases/week-2] [CHAPTER=03] [TIMEOUT=60] [JOBS=2]
grade: venv
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [RELEASE=releases/week-2] [CHAPTER=03] [TIMEOUT=60] [JOBS=2]"; exit 2; }
	$(BIN)/python -m coursework grade $(SUBMISSIONS) --out $(BUILD)/grades $(if $(RELEASE),--release $(RELEASE)) $(if $(CHAPTER),--chapter $(CHAPTER)) $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(JOBS),--jobs $(JOBS))

# make merge GRADES=_build/grades/2026-12-05_101500: add the hand marks written into that run's
# hand_grading.csv to its automatic scores (final_totals.csv, final_gradebook.csv)
merge: venv
	@test -n "$(GRADES)" || { echo "usage: make merge GRADES=_build/grades/<run folder>"; exit 2; }
	$(BIN)/python -m coursework merge $(GRADES)

# Benchmarks (not tests): samplers and the scaling series, written to bench/results.csv.
bench: venv
	$(BIN)/python bench/run_bench.py

# The seed sweep: every chapter's assertions must hold for any seed and any CPU (scripts/seeds.py).
# SEEDS seeds per chapter (1..SEEDS), the first GENERIC of them also with NUMBA_CPU_NAME=generic.
SEEDS   ?= 20
GENERIC ?= 3
JOBS    ?= 2
seeds: venv
	$(BIN)/python scripts/seeds.py run --seeds $(SEEDS) --generic $(GENERIC) --jobs $(JOBS) --skip-passed \
		$(if $(CHAPTERS),--chapters $(CHAPTERS))

# Fails when bench/seeds.csv records a failing seed for a chapter's current source, or fewer than
# SEEDS_REQUIRED passing seeds.
SEEDS_REQUIRED ?= 20
# What make test requires: every chapter's current source has 20 passing seeds (3 of them also on a
# generic CPU) and no recorded failure (issue 14). Editing a chapter means sweeping it again:
# make seeds CHAPTERS=<name>.
TEST_SEEDS_REQUIRED ?= 20
seeds-check: venv
	$(BIN)/python scripts/seeds.py check --required $(SEEDS_REQUIRED)

notebooks: venv
	@mkdir -p $(BUILD)/notebooks
	@for f in chapters/*.md; do \
		$(BIN)/jupytext --quiet --to ipynb --output $(BUILD)/notebooks/$$(basename $${f%.md}).ipynb $$f; done
	@echo "Notebooks written to $(BUILD)/notebooks/. Open them with: $(BIN)/jupyter lab $(BUILD)/notebooks"

clean:
	rm -rf $(BUILD)/html $(BUILD)/jupyter_execute $(BUILD)/.doctrees

clean-all:
	rm -rf $(BUILD) $(VENV)
