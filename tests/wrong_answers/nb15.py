"""Plausible wrong answers to notebook 15's exercises."""

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
        ("float16 everywhere", "return (torch.float16, device_type != 'cpu')"),
        ("bfloat16 everywhere, no scaler", "return (torch.bfloat16, False)"),
        ("only CUDA gets float16", "return (torch.float16, True) if device_type == 'cuda' else (torch.bfloat16, False)"),
        ("scaler forgotten on the GPU", "return (torch.bfloat16, False) if device_type == 'cpu' else (torch.float16, False)"),
    ],
}
