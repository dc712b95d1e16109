# family: static
# expect: no-twin recursion
# dynamic: yes
import torch

w = torch.tensor(2.0, requires_grad=True)


def inputs():
    return (torch.tensor(0.0), torch.tensor(3.0))


def bisect(lo, hi):
    mid = (lo + hi) / 2
    if hi - lo < 1e-3:  # the root of mid**2 - w, found to three decimals
        return mid
    if mid * mid > w:
        return bisect(lo, mid)  # <- no twin
    return bisect(mid, hi)


def forward(lo, hi):
    root = bisect(lo, hi)
    return root * w
