"""Upload: files from the computer or a photo from the phone, into the same intake as mail.

Several files at once (drag and drop), PDFs, images, e-invoices (XML), saved mails
(.eml) and ZIP archives (unpacked like a mailed archive).  Each file's progress
and outcome (state, reason, duplicate of) is shown and refreshed until the
pipeline is done with it.  One column: usable on a 390-px phone screen.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pipeline.service import ServiceError, UploadItem, UserView
from review_ui.common import clear_lists, current_user, esc, service, show_flash
from review_ui.views._dossier_pick import pick_dossier

#: session key: the uploads of this browser session, each (dossier id, document id, name)
UPLOADS_KEY = "_portal_uploads"
#: session key: the refusals of the last upload, each (file name, reason)
REFUSED_KEY = "_portal_refused"
_ROUND_KEY = "_portal_upload_round"
REFRESH_SECONDS = 2.0
KEEP = 50
ICONS = {
    "received": ":material/hourglass_top:",
    "extracted": ":material/hourglass_bottom:",
    "proposed": ":material/check_circle:",
    "booked": ":material/task_alt:",
    "filed": ":material/folder:",
    "split": ":material/call_split:",
    "duplicate": ":material/content_copy:",
    "quarantined": ":material/block:",
    "failed": ":material/error:",
    "no_attachment": ":material/mail:",
    "rejected": ":material/cancel:",
}


def _files_in(dossier_id: int) -> tuple[Any, ...]:
    """The uploader and the camera (their keys change after each upload, which clears them)."""
    round_no = int(st.session_state.get(_ROUND_KEY, 0))
    files = st.file_uploader(
        "Drop files here or browse (PDF, photos, XML e-invoices, .eml mails, ZIP archives)",
        accept_multiple_files=True,
        key=f"up_files_{dossier_id}_{round_no}",
    )
    photo = None
    if st.toggle("Take a photo with the camera", key=f"up_camera_on_{round_no}"):
        photo = st.camera_input("Photo of the document", key=f"up_camera_{round_no}")
    return (*(files or ()), *((photo,) if photo is not None else ()))


def _upload(user: UserView, dossier_id: int, files: tuple[Any, ...]) -> None:
    done: list[tuple[int, int, str]] = list(st.session_state.get(UPLOADS_KEY, []))
    refused: list[tuple[str, str]] = []
    for n, f in enumerate(files):
        name = str(getattr(f, "name", "") or f"photo-{n + 1}.jpg")
        try:
            row = service().upload(user, dossier_id, f.getvalue(), name)
        except ServiceError as exc:
            refused.append((name, str(exc)))
            continue
        done.append((dossier_id, row.id, name))
    st.session_state[UPLOADS_KEY] = done[-KEEP:]
    st.session_state[REFUSED_KEY] = refused
    st.session_state[_ROUND_KEY] = int(st.session_state.get(_ROUND_KEY, 0)) + 1
    clear_lists()
    st.rerun()


def _line(item: UploadItem, name: str | None) -> str:
    icon = ICONS.get(item.state, ":material/description:")
    label = esc(name or item.filename or f"document {item.id}")
    text = f"{icon} **{label}** · #{item.id} · {esc(item.state_label)}"
    if item.duplicate_of is not None:
        text += f" · duplicate of #{item.duplicate_of}"
    if item.reason:
        text += f"  \n{esc(item.reason)}"
    return text


def progress(user: UserView, dossier_id: int) -> bool:
    """Draw the uploads of this dossier; True while the pipeline still works on one."""
    mine = [(d, i, n) for d, i, n in st.session_state.get(UPLOADS_KEY, []) if d == dossier_id]
    if not mine:
        return False
    names = {i: n for _d, i, n in mine}
    items = service().upload_progress(user, dossier_id, [i for _d, i, _n in mine])
    working = sum(1 for i in items if i.working)
    st.subheader("Your uploads")
    st.progress(
        (len(items) - working) / max(1, len(items)),
        text=f"{len(items) - working} of {len(items)} processed",
    )
    for item in reversed(items):
        prefix = "" if item.parent_id is None or item.id in names else "↳ "
        st.markdown(prefix + _line(item, names.get(item.id)))
    if working:
        st.caption("Updating while your documents are read …")
    return working > 0


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Upload")
    dossier_id = pick_dossier(user, "up_dossier")
    if dossier_id is None:
        return
    for name, reason in st.session_state.pop(REFUSED_KEY, []):
        st.error(f"{esc(name)}: {esc(reason)}")
    files = _files_in(dossier_id)
    if st.button(
        f"Upload {len(files)} file{'s' if len(files) != 1 else ''}" if files else "Upload",
        type="primary",
        disabled=not files,
        key="up_go",
        use_container_width=True,
    ):
        _upload(user, dossier_id, files)
    if _busy(user, dossier_id):
        _live_progress(user, dossier_id)
    else:
        progress(user, dossier_id)


def _busy(user: UserView, dossier_id: int) -> bool:
    ids = [i for d, i, _n in st.session_state.get(UPLOADS_KEY, []) if d == dossier_id]
    return bool(ids) and any(i.working for i in service().upload_progress(user, dossier_id, ids))


@st.fragment(run_every=REFRESH_SECONDS)
def _live_progress(user: UserView, dossier_id: int) -> None:
    """Redrawn every few seconds while the pipeline works; then the page once, still."""
    if not progress(user, dossier_id):
        st.rerun()


if __name__ == "__main__":
    render()
