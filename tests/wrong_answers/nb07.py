"""Plausible wrong answers to notebook 07's exercises."""

_DEAD_TEMPLATE = """
fractions, handles = {{}}, []
for name, module in model.named_modules():
    if isinstance(module, nn.ReLU):
        def hook(module, inputs, out{default}):
            fractions[name] = {formula}
        handles.append(module.register_forward_hook(hook))
try:
    with torch.no_grad():
        model(x)
finally:
    {remove}
return fractions
"""


def _dead(formula="(out == 0).movedim(1, 0).flatten(1).all(dim=1).float().mean().item()", default=", name=name",
          remove="for h in handles:\n        h.remove()"):
    return _DEAD_TEMPLATE.format(formula=formula, default=default, remove=remove)


_NAN_TEMPLATE = """
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:
        {body}
    except RuntimeError as err:
        {handler}
return None
"""


def _nan(body="with torch.autograd.detect_anomaly():\n            fn(x).sum().backward()",
         handler="match = re.search(r\"Function '(\\w+)'\", str(err))\n        return match.group(1) if match else None"):
    return _NAN_TEMPLATE.format(body=body, handler=handler)


_LOG_TEMPLATE = """
writer = SummaryWriter(log_dir=str(log_dir))
{write}
writer.close()
events = EventAccumulator(str(log_dir))
events.Reload()
return {{tag: [(p.step, p.value) for p in events.Scalars(tag)] for tag in series}}
"""

WRONG = {
    "exercise-1": [
        ("section 5's formula copied: one unit per position of a conv output",
         _dead("(out == 0).all(dim=0).float().mean().item()")),
        ("fraction of zeros instead of units dead everywhere", _dead("(out == 0).float().mean().item()")),
        ("any instead of all: a channel off at one position counts as dead",
         _dead("(out == 0).movedim(1, 0).flatten(1).any(dim=1).float().mean().item()")),
        ("dead on some image instead of on every image (positions reduced, samples not)",
         _dead("(out == 0).flatten(2).all(dim=2).any(dim=0).float().mean().item() if out.dim() > 2 "
               "else (out == 0).all(dim=0).float().mean().item()")),
        ("written for the conv shape only: reduces dims 0, 2, 3 of a 2-dim output",
         _dead("(out == 0).all(dim=3).all(dim=2).all(dim=0).float().mean().item()")),
        ("the wrong dimension as units: the last one (width, for a conv output)",
         _dead("(out == 0).movedim(-1, 0).flatten(1).all(dim=1).float().mean().item()")),
        ("the hook reads the loop variable late (every hook writes the last name)", _dead(default="")),
        ("hooks never removed", _dead(remove="pass")),
    ],
    "exercise-2": [
        ("no anomaly mode: nothing raises", _nan(body="fn(x).sum().backward()")),
        ("no .sum(): backward on a non-scalar", _nan(body="with torch.autograd.detect_anomaly():\n            fn(x).backward()")),
        ("returns the whole message", _nan(handler="return str(err)")),
        ("regex without the version suffix", _nan(
            handler="match = re.search(r\"Function '(\\w+Backward)\", str(err))\n        return match.group(1) if match else None")),
    ],
    "exercise-3": [
        ("steps start at 0", _LOG_TEMPLATE.format(write="""for tag, values in series.items():
    for step, value in enumerate(values):
        writer.add_scalar(tag, value, step)""")),
        ("one step counter shared by all tags", _LOG_TEMPLATE.format(write="""step = 1
for tag, values in series.items():
    for value in values:
        writer.add_scalar(tag, value, step)
        step += 1""")),
        ("only the first tag written", _LOG_TEMPLATE.format(write="""tag, values = next(iter(series.items()))
for epoch, value in enumerate(values, start=1):
    writer.add_scalar(tag, value, epoch)""").replace(
            "for tag in series}", "for tag in series if tag in events.Tags()['scalars']}")),
    ],
}
