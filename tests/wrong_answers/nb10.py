"""Plausible wrong answers to notebook 10's exercises."""

WRONG = {
    "exercise-1": [
        ("one-hot width taken from the batch",
         "return torch.cat([z, F.one_hot(labels).to(z.dtype)], dim=1)"),
        ("one-hot put before the noise",
         "return torch.cat([F.one_hot(labels, num_classes).to(z.dtype), z], dim=1)"),
        ("label appended as a number, not one-hot",
         "return torch.cat([z, labels[:, None].to(z.dtype)], dim=1)"),
        ("ten classes hard-coded",
         "return torch.cat([z, F.one_hot(labels, 10).to(z.dtype)], dim=1)"),
        ("one-hot left as integers",
         "return torch.cat([z.long(), F.one_hot(labels, num_classes)], dim=1)"),
    ],
    "exercise-2": [
        ("exp forgotten (mean KL in nats)",
         "marginal = probs.mean(dim=0, keepdim=True)\n"
         "return float((torch.xlogy(probs, probs) - torch.xlogy(probs, marginal)).sum(dim=1).mean())"),
        ("marginal averaged over the wrong axis",
         "marginal = probs.mean(dim=1, keepdim=True)\n"
         "return float((torch.xlogy(probs, probs) - torch.xlogy(probs, marginal)).sum(dim=1).mean().exp())"),
        ("KL the wrong way round",
         "marginal = probs.mean(dim=0, keepdim=True)\n"
         "return float((torch.xlogy(marginal, marginal) - torch.xlogy(marginal, probs)).sum(dim=1).mean().exp())"),
        ("only the entropy of the marginal (diversity without fidelity)",
         "marginal = probs.mean(dim=0)\n"
         "return float((-torch.xlogy(marginal, marginal).sum()).exp())"),
    ],
    "exercise-3": [
        ("one-hot width taken from the batch",
         "planes = F.one_hot(labels).to(images.dtype)[:, :, None, None].expand(-1, -1, h, w)\n"
         "return torch.cat([images, planes], dim=1)"),
        ("planes put before the images",
         "planes = F.one_hot(labels, num_classes).to(images.dtype)[:, :, None, None].expand(n, num_classes, h, w)\n"
         "return torch.cat([planes, images], dim=1)"),
        ("one plane holding the label's value",
         "planes = labels.to(images.dtype)[:, None, None, None].expand(n, 1, h, w)\n"
         "return torch.cat([images, planes], dim=1)"),
        ("every plane all ones (one-hot forgotten)",
         "return torch.cat([images, images.new_ones(n, num_classes, h, w)], dim=1)"),
        ("ten classes hard-coded",
         "planes = F.one_hot(labels, 10).to(images.dtype)[:, :, None, None].expand(n, 10, h, w)\n"
         "return torch.cat([images, planes], dim=1)"),
    ],
}
