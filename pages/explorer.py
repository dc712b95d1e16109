"""The explorer page: write code, run it on CPU or GPU, see both graphs side by side."""
from __future__ import annotations

import streamlit as st

from explorer import share
from pages.ui import devices, editor, lesson_picker, linking, modes_panel, present, results, runner

LESSON, SEED, DEVICE, VIEW = "lesson", "seed", "device", "view"  # also URL query parameters
CODE = "explorer.code"
EDITOR_KEY = "explorer.editor_version"
RESULT = "explorer.result"
RAN_WITH = "explorer.ran_with"
PENDING = "explorer.pending"      # run once the page has drawn (lesson picked, link opened)
PLAIN = "explorer.plain_editor"
LINK_PROBLEM = "explorer.link_problem"  # why a share link's code could not be used
FROM_LINK = "explorer.from_link"        # the code in the editor came from a share link
TF_CODE = "explorer.tf_code"


def load_lesson() -> None:
    """The editor gets the lesson the code comes from (picked, re-picked or reset); it runs."""
    st.session_state.pop(LINK_PROBLEM, None)
    st.session_state.pop(FROM_LINK, None)
    st.session_state[CODE] = lesson_picker.base().code
    st.session_state[EDITOR_KEY] = st.session_state.get(EDITOR_KEY, 0) + 1
    st.session_state[PENDING] = True
    st.session_state.pop(TF_CODE, None)


def reset_lesson() -> None:
    st.session_state[lesson_picker.LESSON] = st.session_state[lesson_picker.BASE]
    load_lesson()


def first_visit() -> None:
    """Code from a share link, else the lesson the link names (or the first); run it at once."""
    if CODE in st.session_state:
        return
    st.session_state[PENDING] = True
    st.session_state[EDITOR_KEY] = 0
    token = st.query_params.get("code")
    if token:
        try:
            st.session_state[CODE] = share.decode_code(token)
            st.session_state[FROM_LINK] = True
        except share.ShareError as err:
            st.session_state[LINK_PROBLEM] = (f"The shared link's code could not be read: {err}. "
                                              "Showing a lesson instead.")
    lesson_picker.prepare(st.session_state.get(CODE), st.session_state.get(FROM_LINK, False))
    st.session_state.setdefault(CODE, lesson_picker.base().code)


first_visit()
lesson_picker.prepare(st.session_state[CODE], st.session_state.get(FROM_LINK, False))
projector = present.is_on()
if projector:
    present.style()
else:
    st.markdown("### Graph Explorer \u00b7 define-by-run next to define-and-run")
env = devices.environment()
gpu = devices.gpu(env)

top = st.columns([2.2, 0.9, 1, 1.2, 1.1] if projector else [2, 1, 1, 1, 1])
lesson_picker.picker(top[0], load_lesson)
seed = top[1].number_input("Seed", min_value=0, max_value=2**31 - 1, step=1,
                           key=SEED, bind="query-params",
                           help="torch.manual_seed(seed) runs before your code: weights and "
                                "inputs change with it, and so may the graph.")
device = top[2].radio("Device", ["cpu", "cuda"], key=DEVICE, horizontal=True,
                      bind="query-params", disabled=not gpu,
                      format_func={"cpu": "CPU", "cuda": "GPU"}.get,
                      help=None if gpu else f"No GPU: {env.get('reason') or env.get('message')}")
view = top[3].radio("View", ["auto", "full", "rolled"], key=VIEW, horizontal=True,
                    bind="query-params",
                    help="rolled: repeated loop iterations drawn once with \u00d7N; auto: rolled "
                         "for big graphs")
present.control(top[4])
lesson_picker.keep_in_url()
for problem in (st.session_state.get(LINK_PROBLEM), st.session_state.get(lesson_picker.PROBLEM)):
    if problem:
        st.warning(problem, icon=":material/link_off:")
device = device if gpu else "cpu"
lesson = lesson_picker.base()
if st.session_state[CODE] == lesson.code:
    if projector:
        with st.expander(f"**{lesson.title}**", icon=":material/school:"):
            st.markdown(lesson.text)
    else:
        st.info(f"**{lesson.title}.** {lesson.text}", icon=":material/school:")
elif st.session_state.get(FROM_LINK):
    st.info("**Code from a shared link.** Run it as it is, edit it, or pick a lesson above "
            "to load that lesson instead.", icon=":material/link:")

result = st.session_state.get(RESULT, {})
run_info = result.get("run", result)
if projector:
    left, torch_place, tf_place = st.columns(present.COLUMNS)
    right = left
else:
    left, right = st.columns([3, 2])
with right:
    clicked = st.button("Run", type="primary", icon=":material/play_arrow:", width="stretch",
                        shortcut="ctrl+enter")
with left:
    code, submitted = editor.snippet_editor(
        st.session_state[CODE], key=f"explorer.editor.{st.session_state[EDITOR_KEY]}",
        notes=results.line_notes(st.session_state.get(RAN_WITH, ("",))[0], run_info),
        error_line=result.get("line") if result.get("status") != "ok" else None,
        plain=st.session_state.get(PLAIN, False), compact=projector,
        linked_line=linking.current(), on_select=linking.select_line)
    st.session_state[CODE] = code
with right:
    st.caption("Ctrl+Enter in the editor runs too. Your code runs in a separate, limited "
               "worker process; a failed run never loses it.")
    if lesson_picker.edited(code):
        st.button(f"Reset to the lesson \u201c{lesson.title}\u201d", on_click=reset_lesson,
                  icon=":material/restart_alt:", width="stretch")
    st.toggle("Plain text editor", key=PLAIN, help="If the code editor does not load.")
    results.share_box(code, {LESSON: st.session_state[lesson_picker.BASE], SEED: seed,
                             DEVICE: device, VIEW: view,
                             present.LAYOUT: present.PRESENT if projector else None})
    if not gpu:
        st.caption(f":material/memory: GPU unavailable: {env.get('reason') or 'unknown'}.")
if not (clicked or submitted):
    lesson_picker.flag_edit(code)

settings = (code, int(seed), device, st.session_state.get(TF_CODE))
stale = st.session_state.get(RAN_WITH, (None,) * 4)[1:] != settings[1:]  # not code edits
if clicked or submitted or st.session_state.pop(PENDING, False) or (RESULT in st.session_state
                                                                   and stale):
    request = {"code": code, "seed": int(seed), "device": device}
    if st.session_state.get(TF_CODE):
        request["tf_code"] = st.session_state[TF_CODE]
    runner.submit("explore", "explore", request)
    st.session_state[RAN_WITH] = settings
progress = st.container()
# Placeholders for this run's panels: while a new run is on its way they stay empty, so
# nothing of the previous run (its graphs, its error) is shown under "Running...".
places = (results.Places(torch_place.empty(), tf_place.empty(), st.empty()) if projector
          else results.Places.one(st.empty()))
if runner.waiting("explore") and not runner.showing_partial("explore"):
    with progress:
        st.session_state[RESULT] = runner.wait("explore", "Running your code in a worker...",
                                               partial=True)
    st.rerun()  # redraw the editor with this run's notes

if result:
    linking.ran(st.session_state[RAN_WITH][0])
    results.show(result, code=st.session_state[RAN_WITH][0], view=view, tf_code_key=TF_CODE,
                 places=places, graph_height=present.GRAPH_HEIGHT if projector
                 else present.GRAPH_HEIGHT_PAGE)
    if not result.get("partial"):  # its jobs run after the Run's
        modes_panel.show(result, *st.session_state[RAN_WITH][:3])
if runner.showing_partial("explore"):  # what is drawn above is this run's so far: wait on
    with progress:
        st.session_state[RESULT] = runner.wait(
            "explore", "Your code ran: its PyTorch graph is drawn. Tracing and checking its "
            "tf.function twin...", partial=True)
    st.rerun()
