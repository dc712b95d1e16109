"""nn.Module and its parameters

The layers assigned in `__init__` are registered as submodules, so each weight and bias box in
the graph carries its path in the model, `model.layer1.weight` and so on, the same names
`model.named_parameters()` lists. The ReLU module has no parameters and shows up only as a
ReluBackward0 step. In the tf.function twin the same model is a chain of MatMul, AddV2 and
Relu ops that read variables holding copies of these parameters.
"""
import torch
import torch.nn as nn


class TwoLayerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(6, 8)  # an attribute: registered, its parameters are tracked
        self.activation = nn.ReLU()
        self.layer2 = nn.Linear(8, 2)

    def forward(self, x):  # a layer made in here would not be registered, nor kept
        return self.layer2(self.activation(self.layer1(x)))


model = TwoLayerNet()


def inputs():
    return (torch.randn(3, 6),)


def forward(x):
    return model(x).sum()
