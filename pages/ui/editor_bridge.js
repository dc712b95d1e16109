// Editor bridge: what the page adds to streamlit-code-editor's Ace editor (a same-origin
// iframe), with no Python round trip.
//  - A click on a line number selects that line even when the editor has not the focus yet
//    (Ace ignores gutter clicks of an unfocused editor): the editor then answers with the
//    selection, which links the line (pages/ui/editor.py, linking.select_line).
//  - Hovering a graph node shades its line lightly (class gx-hover): the graph viewers send
//    the hovered line as the window event "gx-hover-line" (pages/ui/viewer.js); hovering a
//    line of the code sends the same event, so the graphs light that line's nodes lightly.
const HOVER_EVENT = "gx-hover-line"; // detail: {line (or undefined: none), from: graph key}

function aceEditor() {
  const frame = document.querySelector('iframe[title*="code_editor"]');
  const win = frame && frame.contentWindow;
  let el = null;
  try {
    el = win && win.document.querySelector(".ace_editor");
  } catch (err) {
    return null; // not same-origin: nothing to add
  }
  return el && el.env && el.env.editor ? el.env.editor : null;
}

let marker = null; // {editor, id} of the hover shading
window.addEventListener(HOVER_EVENT, (evt) => {
  const editor = aceEditor();
  if (marker) marker.editor.session.removeMarker(marker.id);
  marker = null;
  const line = evt.detail && evt.detail.line;
  if (!editor || typeof line !== "number") return;
  const Range = editor.getSelectionRange().constructor; // Ace's Range, from its own bundle
  marker = { editor, id: editor.session.addMarker(new Range(line - 1, 0, line - 1, 1), "gx-hover", "fullLine") };
});

function install(editor) {
  const box = editor.container;
  const gutter = box.querySelector(".ace_gutter");
  if (!gutter || box.dataset.gxBridge) return;
  box.dataset.gxBridge = "1";
  // capture: before Ace's own handler, which then selects the clicked line
  gutter.addEventListener("mousedown", () => { if (!editor.isFocused()) editor.focus(); }, true);
  let sent;
  const send = (line) => {
    if (line === sent) return;
    sent = line;
    window.dispatchEvent(new CustomEvent(HOVER_EVENT, { detail: { line, from: "editor" } }));
  };
  box.addEventListener("mousemove", (evt) => {
    const at = editor.renderer.screenToTextCoordinates(evt.clientX, evt.clientY);
    send(at && at.row < editor.session.getLength() ? at.row + 1 : undefined);
  });
  box.addEventListener("mouseleave", () => send(undefined));
}

export default function () {
  // the editor's iframe may load after this runs: look for it for a while
  let tries = 0;
  const look = () => {
    const editor = aceEditor();
    if (editor) install(editor);
    else if (++tries < 80) setTimeout(look, 250);
  };
  look();
}
