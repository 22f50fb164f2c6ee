"""Plausible wrong answers to notebook 06's exercises."""

WRONG = {
    "exercise-1": [
        ("split(n_micro): micro-batches OF n_micro rows, not n_micro micro-batches", """
optimizer.zero_grad()
total = 0.0
for xb, yb in zip(x.split(n_micro), y.split(n_micro)):
    loss = loss_fn(model(xb), yb) / n_micro
    loss.backward()
    total += loss.item()
optimizer.step()
return total
"""),
        ("micro-batch losses not divided by n_micro", """
optimizer.zero_grad()
total = 0.0
for xb, yb in zip(x.chunk(n_micro), y.chunk(n_micro)):
    loss = loss_fn(model(xb), yb)
    loss.backward()
    total += loss.item()
optimizer.step()
return total / n_micro
"""),
        ("zero_grad inside the loop (only the last micro-batch counts)", """
total = 0.0
for xb, yb in zip(x.chunk(n_micro), y.chunk(n_micro)):
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb) / n_micro
    loss.backward()
    total += loss.item()
optimizer.step()
return total
"""),
        ("a step after every micro-batch", """
optimizer.zero_grad()
total = 0.0
for xb, yb in zip(x.chunk(n_micro), y.chunk(n_micro)):
    loss = loss_fn(model(xb), yb) / n_micro
    loss.backward()
    optimizer.step()
    total += loss.item()
return total
"""),
        ("gradients never cleared (the second call adds to the first)", """
total = 0.0
for xb, yb in zip(x.chunk(n_micro), y.chunk(n_micro)):
    loss = loss_fn(model(xb), yb) / n_micro
    loss.backward()
    total += loss.item()
optimizer.step()
return total
"""),
    ],
    "exercise-2": [
        ("a tie counts as an improvement", """
best, best_epoch = float("inf"), 0
for epoch, value in enumerate(val_losses, start=1):
    if value <= best - min_delta:
        best, best_epoch = value, epoch
    if epoch - best_epoch >= patience:
        return epoch, best_epoch
return None, best_epoch
"""),
        ("off by one: waits one epoch too long", """
best, best_epoch = float("inf"), 0
for epoch, value in enumerate(val_losses, start=1):
    if value < best - min_delta:
        best, best_epoch = value, epoch
    if epoch - best_epoch > patience:
        return epoch, best_epoch
return None, best_epoch
"""),
        ("min_delta ignored", """
best, best_epoch = float("inf"), 0
for epoch, value in enumerate(val_losses, start=1):
    if value < best:
        best, best_epoch = value, epoch
    if epoch - best_epoch >= patience:
        return epoch, best_epoch
return None, best_epoch
"""),
        ("keeps the last epoch instead of the best when it never stops", """
best, best_epoch = float("inf"), 0
for epoch, value in enumerate(val_losses, start=1):
    if value < best - min_delta:
        best, best_epoch = value, epoch
    if epoch - best_epoch >= patience:
        return epoch, best_epoch
return None, len(val_losses)
"""),
    ],
    "exercise-3": [
        ("returns the saved epoch (off by one)", """
if not Path(path).exists():
    return 1
return load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)["epoch"]
"""),
        ("optimizer state not restored", """
if not Path(path).exists():
    return 1
return load_checkpoint(path, model=model, scheduler=scheduler)["epoch"] + 1
"""),
        ("scheduler not restored", """
if not Path(path).exists():
    return 1
return load_checkpoint(path, model=model, optimizer=optimizer)["epoch"] + 1
"""),
    ],
}
