# family: conv
# expect: equivalent
import torch
import torch.nn as nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 2 * 2, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


model = SmallCNN()
loss_fn = nn.CrossEntropyLoss()


def inputs():
    return (torch.randn(2, 1, 12, 12), torch.tensor([0, 2]))


def forward(images, labels):
    return loss_fn(model(images), labels)
