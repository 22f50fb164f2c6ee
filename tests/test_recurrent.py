"""course_lib.recurrent: the hand-written cells match PyTorch's layers; BPTT's gradient norms are right."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.recurrent import grad_norms_through_time, gru_cell, layer_weights, rnn_cell, unroll


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("module", "cell"), [(nn.GRU, gru_cell), (nn.RNN, rnn_cell)])
def test_cells_match_the_library_over_a_sequence(module, cell, bias):
    torch.manual_seed(0)
    layer = module(5, 7, batch_first=True, bias=bias)
    x, h0 = torch.randn(3, 9, 5), torch.randn(1, 3, 7)
    out, h_n = layer(x, h0)
    states = unroll(cell, x, h0[0], **layer_weights(layer))
    assert (torch.stack(states, dim=1) - out).abs().max() < 1e-5
    assert (states[-1] - h_n[0]).abs().max() < 1e-5


def test_gru_cell_matches_both_directions_and_the_second_layer():
    torch.manual_seed(1)
    gru = nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(2, 8, 4)
    out, _ = gru(x)
    h0 = torch.zeros(2, 6)
    forward = torch.stack(unroll(gru_cell, x, h0, **layer_weights(gru)), 1)
    backward = torch.stack(unroll(gru_cell, x.flip(1), h0, **layer_weights(gru, reverse=True)), 1).flip(1)
    first = torch.cat([forward, backward], dim=-1)
    second = torch.stack(unroll(gru_cell, first, h0, **layer_weights(gru, layer=1)), 1)
    assert (second - out[..., :6]).abs().max() < 1e-5


def test_gru_cell_uses_pytorchs_conventions():
    """A GRU whose reset product leaves out b_hn, or whose gates are read in another order, differs."""
    torch.manual_seed(2)
    gru = nn.GRU(3, 4, batch_first=True)
    with torch.no_grad():
        gru.bias_hh_l0.normal_()
    x, h = torch.randn(5, 3), torch.randn(5, 4)
    w = layer_weights(gru)
    want = gru(x[:, None], h[None])[0][:, 0]
    assert torch.allclose(gru_cell(x, h, **w), want, atol=1e-6)
    swapped = {**w, "weight_ih": torch.cat(w["weight_ih"].chunk(3)[::-1])}
    assert not torch.allclose(gru_cell(x, h, **swapped), want, atol=1e-3)


def test_layer_weights_are_the_parameters_and_missing_layers_are_named():
    gru = nn.GRU(3, 4, bias=False)
    w = layer_weights(gru)
    assert w["weight_ih"] is gru.weight_ih_l0 and w["bias_ih"] is None and w["bias_hh"] is None
    with pytest.raises(ValueError, match="no layer 1"):
        layer_weights(gru, layer=1)
    with pytest.raises(ValueError, match="reverse"):
        layer_weights(gru, reverse=True)


def test_grad_norms_through_time_match_a_closed_form():
    """A linear cell h' = a·h + x sends back a^(T-t) of the last step's gradient."""
    a, T, H = 0.8, 6, 3
    h0 = torch.zeros(2, H, requires_grad=True)
    norms = grad_norms_through_time(lambda x, h: a * h + x, torch.randn(2, T, H), h0)
    want = torch.tensor([a ** (T - 1 - t) for t in range(T)]) * H ** 0.5   # ∂ sum(h_T)/∂ h_T = ones
    assert torch.allclose(norms, want, rtol=1e-5)


def test_grad_norms_use_the_loss_and_reach_through_the_weights():
    torch.manual_seed(3)
    rnn = nn.RNN(4, 5, batch_first=True)
    x = torch.randn(3, 7, 4)
    norms = grad_norms_through_time(rnn_cell, x, torch.zeros(3, 5), loss=lambda h: 3 * h.sum(),
                                    **layer_weights(rnn))
    assert norms.shape == (7,) and torch.allclose(norms[-1], torch.tensor(3 * 5 ** 0.5))
    assert (norms[:-1] < norms[-1]).all()           # a contracting tanh RNN at default init
    assert rnn.weight_hh_l0.grad is None            # measuring does not touch the parameters' .grad
