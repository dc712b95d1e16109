"""A twin whose trace is slow (a long unrolled loop) sends its graph before the check: if
the check outlasts the run, the page still draws the tf.function graph, with a message saying
the outputs and gradients were not checked. Checked in-process, recording what the job sends."""
from __future__ import annotations

from explorer import lessons
from explorer.jobs import explore
from explorer.sandbox import channel


def test_the_traced_graph_is_sent_before_the_check(monkeypatch):
    sent = []
    monkeypatch.setattr(channel, "provisional", sent.append)
    monkeypatch.setattr(explore, "PROVISIONAL_TWIN_S", 0.0)  # every trace counts as slow
    final = explore.run({"code": lessons.default().code, "seed": 0})
    assert final["twin"]["status"] == "ok"
    assert [s["twin"]["status"] for s in sent] == ["unfinished", "unfinished"]
    assert "graph" not in sent[0]["twin"]            # before the twin: the PyTorch side alone
    early = sent[1]["twin"]
    assert "traced in" in early["message"] and "did not finish" in early["message"]
    ids = sorted(n["id"] for n in early["graph"]["nodes"])
    assert ids == sorted(n["id"] for n in final["twin"]["graph"]["nodes"]) and ids
    assert set(sent[1]) == {"twin"}  # adds to the first: the PyTorch side is not sent again
    assert sent[0]["run"]["graph"] == final["run"]["graph"]


def test_a_quick_trace_sends_no_graph_early(monkeypatch):
    sent = []
    monkeypatch.setattr(channel, "provisional", sent.append)
    monkeypatch.setattr(explore, "PROVISIONAL_TWIN_S", 1e9)
    explore.run({"code": lessons.default().code, "seed": 0})
    assert len(sent) == 1 and "graph" not in sent[0]["twin"]
