"""Plausible wrong answers to notebook 15's exercises."""



def _synced_last(backward: str) -> str:
    """Micro-batches with no_sync on all but the last, each running ``backward`` (the line that varies)."""
    return f"""
pieces = list(zip(x.split(max_micro), y.split(max_micro)))
for k, (xs, ys) in enumerate(pieces):
    with contextlib.nullcontext() if k == len(pieces) - 1 else model.no_sync():
        {backward}
"""


WRONG = {
    "exercise-1": [
        ("true division gives a float", '''
if global_batch % world_size:
    raise ValueError(f"{global_batch} is not divisible by {world_size}")
return global_batch / world_size
'''),
        ("no check: an uneven split is silently floored", "return global_batch // world_size"),
        ("only refuses more processes than samples", '''
if world_size > global_batch:
    raise ValueError("more processes than samples")
return global_batch // world_size
'''),
    ],
    "exercise-2": [
        ("divides by the number of micro-batches (wrong when the last one is smaller)", _synced_last('(F.cross_entropy(model(xs), ys) / len(pieces)).backward()')),
        ("adds up the micro-batch means, unscaled", _synced_last('F.cross_entropy(model(xs), ys).backward()')),
        ("divides every micro-batch mean by the whole batch size", _synced_last('(F.cross_entropy(model(xs), ys) / len(x)).backward()')),
        ("no no_sync: every micro-batch all-reduces", '''
for xs, ys in zip(x.split(max_micro), y.split(max_micro)):
    (F.cross_entropy(model(xs), ys) * len(xs) / len(x)).backward()
'''),
        ("forward outside no_sync: DDP has already prepared the all-reduce", '''
pieces = list(zip(x.split(max_micro), y.split(max_micro)))
for k, (xs, ys) in enumerate(pieces):
    loss = F.cross_entropy(model(xs), ys) * len(xs) / len(x)
    with contextlib.nullcontext() if k == len(pieces) - 1 else model.no_sync():
        loss.backward()
'''),
        ("no_sync around the last micro-batch too: nothing is ever all-reduced", '''
for xs, ys in zip(x.split(max_micro), y.split(max_micro)):
    with model.no_sync():
        (F.cross_entropy(model(xs), ys) * len(xs) / len(x)).backward()
'''),
        ("the whole batch at once, ignoring max_micro", "F.cross_entropy(model(x), y).backward()"),
    ],
}
