"""The template's warm-up of PyTorch's graph modes (``explorer.jobs.warmup.TEMPLATE_STEPS``,
run by ``bootstrap.warm_template`` before the template forks): it compiles, exports and
scripts on the meta device, and leaves nothing a worker forked after it could tell apart
from a fresh process but the first-use state it was for."""
from __future__ import annotations

import random
import threading

import pytest
import torch

from explorer.jobs import warmup
from explorer.sandbox import bootstrap
from explorer.sandbox.layers import thread_count


def _cache_entries(fn) -> list:
    return torch._C._dynamo.eval_frame._debug_get_cache_entry_list(fn.__code__)


@pytest.mark.slow
def test_the_template_warm_up_leaves_only_first_use_state():
    import torch._dynamo.variables.torch as dynamo_torch

    torch_rng, python_rng = torch.get_rng_state(), random.getstate()
    sequence_nr = torch._C._autograd._get_sequence_nr()
    threads, python_threads = thread_count(), threading.active_count()

    done = bootstrap.warm_template(warmup.TEMPLATE_STEPS)

    assert list(done) == ["dynamo", "export", "torchscript"]
    assert all(isinstance(seconds, float) for seconds in done.values()), done
    # what Dynamo builds on a first compile is there (what a fork inherits)
    assert dynamo_torch.get_overridable_functions.cache_info().currsize == 1
    # no compiled frame, no module, no random draw, no autograd node on this thread, no thread
    assert _cache_entries(warmup._compiled_forward) == []
    assert warmup._META_LAYER == []
    assert torch.equal(torch.get_rng_state(), torch_rng) and random.getstate() == python_rng
    assert torch._C._autograd._get_sequence_nr() == sequence_nr
    assert (thread_count(), threading.active_count()) == (threads, python_threads)


def test_a_failing_step_is_reported_and_the_rest_run():
    ran = []

    def broken():
        raise RuntimeError("no meta kernel")

    done = bootstrap.warm_template((("broken", broken), ("next", lambda: ran.append(1))))
    assert done["broken"] == "failed: RuntimeError: no meta kernel"
    assert isinstance(done["next"], float) and ran == [1]
