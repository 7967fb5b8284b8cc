"""The tutorial's LeNet in PyTorch (CPU by default), with one plain SGD step.

``torch.nn.functional.conv2d`` is a cross-correlation while Theano's ``conv2d`` convolves, so
:meth:`TorchLeNet.from_params` flips the filters of a symtensor / NumPy parameter set and
:meth:`TorchLeNet.params_numpy` flips them back.  The hidden and softmax weights keep
Theano's ``(n_in, n_out)`` orientation (``x @ W``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

PARAM_NAMES = ("W0", "b0", "W1", "b1", "W2", "b2", "W3", "b3")
CONV_WEIGHTS = ("W0", "W1")


class TorchLeNet(torch.nn.Module):
    def __init__(self, tensors: dict):
        super().__init__()
        for name in PARAM_NAMES:
            self.register_parameter(name, torch.nn.Parameter(tensors[name]))

    @classmethod
    def from_params(cls, params: dict, device="cpu") -> TorchLeNet:
        """From Theano-oriented NumPy arrays (conv filters get flipped)."""
        tensors = {}
        for name in PARAM_NAMES:
            value = np.asarray(params[name])
            if name in CONV_WEIGHTS:
                value = value[:, :, ::-1, ::-1]
            tensors[name] = torch.tensor(np.ascontiguousarray(value), device=device)
        return cls(tensors)

    def params_numpy(self) -> dict:
        """The parameters back in Theano's orientation."""
        out = {}
        for name in PARAM_NAMES:
            value = getattr(self, name).detach().cpu().numpy()
            out[name] = np.ascontiguousarray(value[:, :, ::-1, ::-1]) \
                if name in CONV_WEIGHTS else value.copy()
        return out

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """x : (N, 784) pixel rows, y : (N,) int64 labels -> mean NLL."""
        h = x.reshape(x.shape[0], 1, 28, 28)
        h = torch.tanh(F.max_pool2d(F.conv2d(h, self.W0), 2) + self.b0.view(1, -1, 1, 1))
        h = torch.tanh(F.max_pool2d(F.conv2d(h, self.W1), 2) + self.b1.view(1, -1, 1, 1))
        h = torch.tanh(h.flatten(1) @ self.W2 + self.b2)
        z = h @ self.W3 + self.b3
        return F.nll_loss(F.log_softmax(z, dim=1), y)


class TorchTrainer:
    """Model + ``torch.optim.SGD``; :meth:`step` returns the cost before the update."""

    def __init__(self, params: dict, lr=0.1, device="cpu"):
        self.device = device
        self.model = TorchLeNet.from_params(params, device)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.opt.zero_grad(set_to_none=True)
        cost = self.model(x, y)
        cost.backward()
        self.opt.step()
        return cost.detach()

    def sync(self):
        if str(self.device).startswith("cuda"):
            torch.cuda.synchronize()
