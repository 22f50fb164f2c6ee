"""Recurrent cells written from their equations, and backpropagation through time (notebook 11).

``nn.RNN`` and ``nn.GRU`` run a whole sequence in one fused call. Here each cell is its equations,
one time step at a time, fed with the layer's own weights (:func:`layer_weights`), so it can be
checked against the library and a gradient can be followed back through the steps
(:func:`grad_norms_through_time`).

PyTorch stores the gates of a layer stacked in one matrix: ``weight_ih_l0`` is ``3H × I`` for a GRU,
its rows the reset gate ``r``, the update gate ``z`` and the candidate ``n``, in that order (an LSTM's
four blocks are ``i, f, g, o``). With ``W_i· x + b_i·`` the input's part and ``W_h· h + b_h·`` the
state's part of each block::

    r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))     # r multiplies the state's part, bias included
    h' = (1 - z) * n + z * h                           # z = 1 keeps the old state

>>> gru = torch.nn.GRU(3, 4, batch_first=True)
>>> x = torch.randn(2, 5, 3)
>>> states = unroll(gru_cell, x, torch.zeros(2, 4), **layer_weights(gru))
>>> len(states), tuple(states[-1].shape)
(5, (2, 4))
>>> torch.allclose(torch.stack(states, dim=1), gru(x)[0], atol=1e-6)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


def layer_weights(rnn: nn.Module, layer: int = 0, reverse: bool = False) -> dict[str, torch.Tensor | None]:
    """The four weight tensors of one layer (and direction) of an ``nn.RNN``/``nn.GRU``/``nn.LSTM``.

    Returns ``{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}`` (the biases are ``None`` for a layer
    built with ``bias=False``), ready to pass as ``cell(x, h, **weights)``. They are the module's own
    parameters, not copies: gradients reach them.

    >>> sorted((k, tuple(v.shape)) for k, v in layer_weights(torch.nn.GRU(3, 4)).items())
    [('bias_hh', (12,)), ('bias_ih', (12,)), ('weight_hh', (12, 4)), ('weight_ih', (12, 3))]
    """
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    if not hasattr(rnn, "weight_ih" + suffix):
        where = f"layer {layer}" + (" (reverse direction)" if reverse else "")
        shape = ", ".join(f"{key}={getattr(rnn, key, '?')}" for key in ("num_layers", "bidirectional"))
        raise ValueError(f"{type(rnn).__name__} has no {where}: it has {shape}.")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return {name: getattr(rnn, name + suffix, None) for name in names}


def rnn_cell(x: torch.Tensor, h: torch.Tensor, weight_ih: torch.Tensor, weight_hh: torch.Tensor,
             bias_ih: torch.Tensor | None = None, bias_hh: torch.Tensor | None = None) -> torch.Tensor:
    """One step of a plain (Elman) RNN, as ``nn.RNN(nonlinearity="tanh")`` computes it.

    ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` for ``x`` (B×I) and ``h`` (B×H).

    >>> rnn = torch.nn.RNN(3, 4, batch_first=True)
    >>> x = torch.randn(2, 1, 3)
    >>> torch.allclose(rnn_cell(x[:, 0], torch.zeros(2, 4), **layer_weights(rnn)), rnn(x)[0][:, 0], atol=1e-6)
    True
    """
    return torch.tanh(F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh))


def gru_cell(x: torch.Tensor, h: torch.Tensor, weight_ih: torch.Tensor, weight_hh: torch.Tensor,
             bias_ih: torch.Tensor | None = None, bias_hh: torch.Tensor | None = None) -> torch.Tensor:
    """One step of a GRU, as ``nn.GRU`` computes it, from its equations (written out in the module docstring).

    ``x`` is B×I, ``h`` is B×H; the weights are ``nn.GRU``'s (gate blocks ``r, z, n``).

    >>> gru = torch.nn.GRU(3, 4, batch_first=True)
    >>> x, h0 = torch.randn(2, 1, 3), torch.randn(1, 2, 4)
    >>> torch.allclose(gru_cell(x[:, 0], h0[0], **layer_weights(gru)), gru(x, h0)[0][:, 0], atol=1e-6)
    True
    """
    x_r, x_z, x_n = F.linear(x, weight_ih, bias_ih).chunk(3, dim=-1)   # the input's part of r, z, n
    h_r, h_z, h_n = F.linear(h, weight_hh, bias_hh).chunk(3, dim=-1)   # the state's part, b_h· included
    r = torch.sigmoid(x_r + h_r)                                         # reset gate
    z = torch.sigmoid(x_z + h_z)                                         # update gate
    n = torch.tanh(x_n + r * h_n)                                        # candidate: r resets (W_hn h + b_hn)
    return (1 - z) * n + z * h


def unroll(cell: Callable[..., Any], inputs: torch.Tensor, state: Any, **weights: Any) -> list[Any]:
    """Run ``cell`` over a batch-first sequence ``inputs`` (B×T×I) from ``state``; the state after each step.

    ``state`` is whatever the cell takes and returns: a B×H tensor for :func:`rnn_cell` and
    :func:`gru_cell`, an ``(h, c)`` pair for an LSTM cell. ``weights`` go to every call, so each step
    uses the same parameters (that is what makes it *recurrent*).

    >>> steps = unroll(lambda x, h: h + x, torch.ones(1, 3, 2), torch.zeros(1, 2))
    >>> [s.tolist() for s in steps]
    [[[1.0, 1.0]], [[2.0, 2.0]], [[3.0, 3.0]]]
    """
    states = []
    for t in range(inputs.shape[1]):
        state = cell(inputs[:, t], state, **weights)
        states.append(state)
    return states


def grad_norms_through_time(cell: Callable[..., Any], inputs: torch.Tensor, state: torch.Tensor,
                            loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
                            **weights: Any) -> torch.Tensor:
    """How much of the last step's gradient reaches each step: ``‖∂ loss(h_T) / ∂ h_t‖`` for t = 1..T.

    The cell is unrolled over ``inputs`` (B×T×I) with :func:`unroll`; ``loss`` turns the last hidden
    state into a number (default: the sum of its entries). Backpropagation through time then gives the
    gradient with respect to every intermediate state ``h_t`` — through all the later steps. Returns a
    length-T tensor: the L2 norm over the hidden units, averaged over the batch. Divide by its last entry
    to read it as "the share of the gradient that survives going back ``T - t`` steps".

    >>> h0 = torch.zeros(1, 2, requires_grad=True)
    >>> norms = grad_norms_through_time(lambda x, h: 0.5 * h + x, torch.ones(1, 4, 2), h0)
    >>> (norms / norms[-1]).tolist()          # each step back halves the gradient
    [0.125, 0.25, 0.5, 1.0]
    """
    states = unroll(cell, inputs, state, **weights)
    last = states[-1]
    value = last.sum() if loss is None else loss(last)
    grads = torch.autograd.grad(value, states)
    return torch.stack([g.detach().norm(dim=-1).mean() for g in grads])
