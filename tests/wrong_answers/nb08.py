"""Plausible wrong answers to notebook 08's exercises."""

WRONG = {
    "exercise-1": [
        ("strides ignored", "return 1 + sum(kernel - 1 for kernel, _ in layers)"),
        ("stride applied before its own layer", """\
field, jump = 1, 1
for kernel, stride in layers:
    jump *= stride
    field += (kernel - 1) * jump
return field"""),
        ("field starts at 0, not at one pixel", """\
field, jump = 0, 1
for kernel, stride in layers:
    field += (kernel - 1) * jump
    jump *= stride
return field"""),
        ("kernels multiplied", """\
field = 1
for kernel, stride in layers:
    field *= kernel
return field"""),
    ],
    "exercise-2": [
        ("conv bias counted", "return out_channels * in_channels * 3 * 3 + out_channels + 2 * out_channels"),
        ("batch norm forgotten", "return out_channels * in_channels * 3 * 3"),
        ("running statistics counted as parameters", "return out_channels * in_channels * 3 * 3 + 4 * out_channels"),
        ("kernel not squared", "return out_channels * in_channels * 3 + 2 * out_channels"),
    ],
    "exercise-3": [
        ("mean instead of max", """\
n, c, h, w = x.shape
return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(dim=(3, 5))"""),
        ("window axes mixed up in the reshape", """\
n, c, h, w = x.shape
return x.reshape(n, c, 2, h // 2, 2, w // 2).amax(dim=(2, 4))"""),
        ("subsampling instead of pooling", "return x[:, :, ::2, ::2]"),
        ("max of absolute values", """\
n, c, h, w = x.shape
return x.abs().reshape(n, c, h // 2, 2, w // 2, 2).amax(dim=(3, 5))"""),
    ],
}
