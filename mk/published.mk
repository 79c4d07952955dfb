# The published book: browser test, offline edition, student editions, book benchmark.
# Included by the Makefile (`include mk/published.mk`); uses its VENV, BIN, PY, BUILD, HTML and
# STAMP_* variables and its `book` target.
#
#   make student        student editions of the chapters (solutions removed): _build/student/*.ipynb
#                       and _build/student.zip; also copied into _build/html/_static/student/ when
#                       the book is built (the instructor page links to them there)
#   make book-offline   the book with MathJax served from the build itself and no CDN script:
#                       _build/offline/ and _build/offline.zip (unzip anywhere, open index.html)
#   make test-browser   headless Chromium over every page of the toc, twice: _build/html over
#                       http (JS errors, images, links and anchors, explorers' static twins,
#                       headings, captions), then the unzipped offline edition over file:// with
#                       the network off (the same, and the math typeset on every page).
#                       Skipped, with a message, when /usr/bin/chromium is absent
#                       (.ci/install_browser.sh installs it).
#   make bench-book     cold and warm build time, make book in a fresh clone, site and page sizes
#                       (and the chapters' budgets)

STUDENT := $(BUILD)/student
STUDENT_ZIP := $(BUILD)/student.zip
OFFLINE := $(BUILD)/offline
OFFLINE_ZIP := $(BUILD)/offline.zip
OFFLINE_TEST := $(BUILD)/offline-unzipped
NPM_DIR := $(BUILD)/npm
MATHJAX := $(NPM_DIR)/node_modules/mathjax
MATHJAX_STAMP := $(NPM_DIR)/.stamp-npm
SCREENSHOTS := $(BUILD)/screenshots
# The browser: Debian's chromium by default; another Chromium-based browser can be named with
# CHROMIUM=/path (e.g. google-chrome on a GitHub runner). Empty (not installed): test skipped.
CHROMIUM ?= $(wildcard /usr/bin/chromium)
export CHROMIUM

.PHONY: student student-html book-offline test-browser bench-book

# ------------------------------------------------------------------ student editions

define STUDENT_RECIPE
$(PY) tools/student_edition.py $(STUDENT) --zip $(STUDENT_ZIP)
if [ -f $(HTML)/index.html ]; then \
  rm -rf $(HTML)/_static/student && mkdir -p $(HTML)/_static/student && \
  cp $(STUDENT)/*.ipynb $(STUDENT_ZIP) $(HTML)/_static/student/ && \
  echo "student editions copied into $(HTML)/_static/student/"; fi
endef

student: $(STAMP_RUN)
	$(STUDENT_RECIPE)

# The book, then the student editions into it (what the instructor page links to).
student-html: book
	$(STUDENT_RECIPE)

# ------------------------------------------------------------------ offline edition

# MathJax 3 from npm, pinned by tools/offline/package-lock.json, installed under _build/.
$(MATHJAX_STAMP): tools/offline/package.json tools/offline/package-lock.json
	@command -v npm >/dev/null || { echo "book-offline needs npm (Debian: apt-get install npm)"; exit 1; }
	mkdir -p $(NPM_DIR)
	cp tools/offline/package.json tools/offline/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

book-offline: student-html $(MATHJAX_STAMP)
	$(PY) tools/make_offline.py $(HTML) $(OFFLINE) --mathjax $(MATHJAX) --zip $(OFFLINE_ZIP)

# ------------------------------------------------------------------ browser test

ifeq ($(CHROMIUM),)
test-browser:
	@echo "test-browser: SKIPPED: /usr/bin/chromium is not installed (run .ci/install_browser.sh as root, or set CHROMIUM=/path/to/chromium)"
else
test-browser: book-offline
	$(PY) tools/check_site.py $(HTML) --mode http --require-table-captions --screenshots $(SCREENSHOTS)
	rm -rf $(OFFLINE_TEST) && mkdir -p $(OFFLINE_TEST)
	$(PY) -m zipfile -e $(OFFLINE_ZIP) $(OFFLINE_TEST)
	$(PY) tools/check_site.py $(OFFLINE_TEST)/implicit-regularization-book --mode file \
	  --math require --no-external --require-table-captions --screenshots $(SCREENSHOTS)/offline
	@echo "test-browser: passed (screenshots in $(SCREENSHOTS)/)"
endif

# ------------------------------------------------------------------ benchmark

bench-book: $(STAMP_RUN)
	$(PY) benchmarks/run.py --only bench_book bench_chapters
