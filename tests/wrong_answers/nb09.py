"""Plausible wrong answers to notebook 09's exercises."""

WRONG = {
    "exercise-1": [
        ("rescale forgotten: raw values windowed as if they were HU", """\
hu = np.asarray(raw, dtype=np.float32)
return np.clip((hu - (-600 - 1500 / 2)) / 1500, 0.0, 1.0)"""),
        ("intercept subtracted", """\
hu = np.asarray(raw, dtype=np.float32) * slope - intercept
return np.clip((hu - (-600 - 1500 / 2)) / 1500, 0.0, 1.0)"""),
        ("slope ignored", """\
hu = np.asarray(raw, dtype=np.float32) + intercept
return np.clip((hu - (-600 - 1500 / 2)) / 1500, 0.0, 1.0)"""),
        ("window starts at the centre", """\
hu = np.asarray(raw, dtype=np.float32) * slope + intercept
return np.clip((hu + 600) / 1500, 0.0, 1.0)"""),
        ("no clipping", """\
hu = np.asarray(raw, dtype=np.float32) * slope + intercept
return (hu - (-600 - 1500 / 2)) / 1500"""),
    ],
    "exercise-2": [
        ("negatives at the threshold counted as cleared (<= instead of <)", """\
y, scores = np.asarray(y), np.asarray(scores, dtype=float)
positives = np.sort(scores[y == 1])
t = positives[len(positives) - int(np.ceil(sensitivity * len(positives)))]
return float((scores[y == 0] <= t).mean())"""),
        ("floor instead of ceil", """\
y, scores = np.asarray(y), np.asarray(scores, dtype=float)
positives = np.sort(scores[y == 1])
t = positives[len(positives) - int(np.floor(sensitivity * len(positives)))]
return float((scores[y == 0] < t).mean())"""),
        ("index copied from the specificity recipe", """\
y, scores = np.asarray(y), np.asarray(scores, dtype=float)
positives = np.sort(scores[y == 1])
t = positives[int(np.ceil(sensitivity * len(positives))) - 1]
return float((scores[y == 0] < t).mean())"""),
        ("false-positive rate returned instead of specificity", """\
y, scores = np.asarray(y), np.asarray(scores, dtype=float)
positives = np.sort(scores[y == 1])
t = positives[len(positives) - int(np.ceil(sensitivity * len(positives)))]
return float((scores[y == 0] >= t).mean())"""),
        ("positives not sorted", """\
y, scores = np.asarray(y), np.asarray(scores, dtype=float)
positives = scores[y == 1]
t = positives[len(positives) - int(np.ceil(sensitivity * len(positives)))]
return float((scores[y == 0] < t).mean())"""),
    ],
    "exercise-3": [
        ("the given slice ignored: a fresh scan at the default dose", """\
fresh = ct.simulate_slice(0, 0, nodule=False)
return float((fresh["image"] - fresh["phantom"])[28:36, 28:36].std())"""),
        ("variance instead of standard deviation", """\
return float((s["image"] - s["phantom"])[28:36, 28:36].var())"""),
        ("whole slice instead of the soft-tissue square", """\
return float((s["image"] - s["phantom"]).std())"""),
        ("noise measured on the noise-free sinogram's reconstruction", """\
return float((ct.reconstruct(s["sinogram"]) - s["phantom"])[28:36, 28:36].std())"""),
        ("phantom not subtracted: the std of the image itself", """\
return float(s["image"][28:36, 28:36].std())"""),
        ("square shifted by a pixel", """\
return float((s["image"] - s["phantom"])[29:37, 29:37].std())"""),
        ("7x7 square: the end index taken as inclusive", """\
return float((s["image"] - s["phantom"])[28:35, 28:35].std())"""),
    ],
}
