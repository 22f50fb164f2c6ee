# Sourced by the lanes that build their own venv (floor_lane.sh, test_torchtext.sh): sets PYTHON, unless the
# caller set it, to the newest python3.1x on PATH that starts (else python3).
if [[ -z "${PYTHON:-}" ]]; then
    PYTHON=python3
    for candidate in python3.12 python3.11 python3.10; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "" >/dev/null 2>&1; then
            PYTHON="$candidate"
            break
        fi
    done
fi
