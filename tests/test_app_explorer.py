"""The explorer page through Streamlit's AppTest, with the real sandbox behind it: every
interaction, checked against the engine run in the test itself."""
from __future__ import annotations

from collections import Counter

import pytest
from streamlit.testing.v1 import AppTest

from explorer import lessons, share
from explorer.graph import Graph
from tests.conftest import ROOT

RESULT = "explorer.result"


def start(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "explorer" / "app.py"), default_timeout=180)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def ops(at: AppTest) -> Counter:
    graph = Graph.from_json(at.session_state[RESULT]["run"]["graph"])
    return Counter(n.op for n in graph.nodes if n.kind == "op")


@pytest.fixture(scope="module")
def page() -> AppTest:
    """One session shared by the tests that only look (each run costs a worker)."""
    return start()


def test_default_lesson_runs_on_load_with_both_graphs_and_the_check(page):
    assert not page.exception
    result = page.session_state[RESULT]
    assert result["status"] == "ok" and result["twin"]["status"] == "ok"
    assert page.session_state["explorer.code"] == lessons.default().code
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Autograd nodes"] == str(sum(ops(page).values()))
    assert int(metrics["tf.function ops"]) == len(result["twin"]["graph"]["nodes"])
    assert any("Outputs and gradients agree" in s.value for s in page.success)
    assert ops(page)["AddmmBackward0"] == 1  # seed 0: x.sum() > 0, one application


def test_gpu_choice_is_disabled_with_a_reason_without_a_gpu(page):
    device = page.radio(key="device")
    if page.session_state.get("explorer.result", {}).get("run", {}).get("device", "cpu") == "cpu":
        assert device.disabled and device.value == "cpu"
        assert any("GPU unavailable" in c.value for c in page.caption)


def test_selecting_nodes_shows_their_details_and_the_branches_of_an_if(page):
    page.selectbox(key="torch.node").set_value("addmm").run()
    rows = page.table[0].value
    assert "AddmmBackward0" in rows.to_string() and "(1, 10)" in rows.to_string()
    tf_graph = Graph.from_json(page.session_state[RESULT]["twin"]["graph"])
    if_node = next(n for n in tf_graph.nodes if n.op in ("If", "StatelessIf"))
    page.selectbox(key="tf.node").set_value(if_node.id).run()
    assert [t.label for t in page.tabs][:2] == ["then_branch", "else_branch"]


def test_executed_path_names_the_branch_taken(page):
    table = page.dataframe[0].value
    row = table[table["statement"].str.startswith("if x.sum() > 0")].iloc[0]
    assert row["this run"] == "took then \u00d71"


def test_compare_inputs_shows_one_row_per_input_seed(page):
    compare = next(b for b in page.button if b.label == "Compare")
    compare.click().run()
    table = page.dataframe[-1].value
    assert list(table["input seed"])[1:] == [0, 1, 2, 3]  # row 0: this run (issue 12)
    runs = page.session_state["explorer.compare_result"][1]["compare"]
    for row, run in zip(table.to_dict("records")[1:], runs):
        graph = Graph.from_json(run["graph"])
        assert row["nodes"] == graph.count("op")  # autograd nodes, as the page's metric
    assert len(set(table["nodes"])) == 2  # some inputs take one arm, some the other


def test_picking_a_lesson_runs_it():
    at = start()
    at.selectbox(key="lesson").set_value("while_loop").run()
    assert at.session_state["explorer.code"] == lessons.get("while_loop").code
    assert ops(at)["MulBackward0"] >= 2
    twin = at.session_state[RESULT]["twin"]
    assert any(n["op"] in ("While", "StatelessWhile") for n in twin["graph"]["nodes"])


def test_another_seed_reruns_and_changes_the_dynamic_graph():
    at = start()
    at.number_input(key="seed").set_value(2).run()
    assert at.session_state["explorer.ran_with"][1] == 2
    assert ops(at)["AddmmBackward0"] == 2  # seed 2: x.sum() <= 0, the layer twice


def test_an_error_names_the_line_and_keeps_the_code():
    at = start()
    at.toggle(key="explorer.plain_editor").set_value(True).run()
    broken = lessons.default().code.replace("return y.sum()", "return y @ y")
    at.text_area[0].set_value(broken)
    at.button[0].click().run()
    message = at.error[0].value
    line = broken.splitlines().index("    return y @ y") + 1
    assert f"line {line}: RuntimeError" in message
    assert at.text_area[0].value == broken and at.session_state["explorer.code"] == broken
    assert any("Shape mismatch" in i.value for i in at.info)


def test_a_share_link_brings_its_code_and_seed():
    code = lessons.get("broadcasting").code
    at = start(code=share.encode_code(code), seed="1")
    assert at.session_state["explorer.code"] == code
    assert at.session_state["explorer.ran_with"][:2] == (code, 1)
    assert at.session_state[RESULT]["status"] == "ok"
    assert any("Code from a shared link" in i.value for i in at.info)
    at.selectbox(key="lesson").set_value("while_loop").run()  # a lesson replaces it
    assert not any("Code from a shared link" in i.value for i in at.info)
    assert at.session_state["explorer.code"] == lessons.get("while_loop").code


def test_a_damaged_share_link_falls_back_to_a_lesson_with_a_warning():
    at = start(code="not-a-real-token!!")
    assert any("could not be read" in w.value for w in at.warning)
    assert at.session_state["explorer.code"] == lessons.default().code


def test_hand_edited_tensorflow_code_runs_instead_of_the_translation():
    at = start()
    tf_code = at.session_state[RESULT]["twin"]["tf_code"]
    edited = tf_code.replace("return tf.reduce_sum(y)", "return tf.reduce_sum(y) * 2.0", 1)
    assert edited != tf_code
    at.text_area(key="explorer.tf_code.edit").set_value(edited)
    next(b for b in at.button if b.label == "Run this TensorFlow code").click().run()
    twin = at.session_state[RESULT]["twin"]
    assert at.session_state["explorer.tf_code"] == edited
    assert twin["status"] == "ok" and twin["equivalent"] is False
    torch_out = at.session_state[RESULT]["run"]["graph"]["output"]["value"][0]
    assert twin["tf"]["output"]["value"][0] == pytest.approx(2 * torch_out, rel=1e-5)


def test_a_twin_that_did_not_finish_leaves_the_pytorch_graph_and_says_why():
    """The result the sandbox returns when the twin runs out of time (its provisional result,
    see test_sandbox): the page draws the PyTorch side and says why there is no static graph."""
    from explorer.jobs import explore

    code = lessons.get("while_loop").code
    result = explore.run({"code": code, "seed": 0, "twin": False})
    result["twin"] = {"status": "unfinished", "message": explore.TWIN_UNFINISHED}
    result["unfinished"] = {"status": "timeout", "message": "Your code ran longer than 20 s."}
    at = AppTest.from_file(str(ROOT / "explorer" / "app.py"), default_timeout=60)
    at.session_state["explorer.code"] = code
    at.session_state["explorer.editor_version"] = 0
    at.session_state["explorer.ran_with"] = (code, 0, "cpu", None)
    at.session_state[RESULT] = result
    at.run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "did not finish" in w.value)
    assert "unrolls" in warning and "time limit" in warning
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Autograd nodes"] == str(sum(ops(at).values()))
    assert metrics["tf.function ops"] == "-"
