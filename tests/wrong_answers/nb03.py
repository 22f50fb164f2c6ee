"""Plausible wrong answers to notebook 03's exercises."""

WRONG = {
    "exercise-1": [
        ("padding forgotten", "return (size - kernel) // stride + 1"),
        ("off by one", "return (size + 2 * padding - kernel) // stride"),
    ],
}
