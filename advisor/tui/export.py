"""Export: write the current view as a report (HTML, Markdown, CSV or JSON) via advisor.report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from advisor.tui.messages import ExportWritten, Failed
from catalog.errors import CatalogError

FORMATS = ("html", "md", "csv", "json")


def default_path(view: str, fmt: str) -> str:
    return f"advisor-{view}.{fmt}"


class ExportScreen(ModalScreen[list[Path] | None]):
    """Asks for a format and a path, then writes the report in a worker."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, build_document: Callable[[], dict], view: str) -> None:
        super().__init__()
        self.build_document = build_document
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(f"Export the {self.view} view as a report", id="export-title")
            with Horizontal(id="export-row"):
                yield Select([(f, f) for f in FORMATS], value="html", allow_blank=False, id="export-format")
                yield Input(value=default_path(self.view, "html"), id="export-path")
            with Horizontal(id="export-buttons"):
                yield Button("Write", id="export-write", variant="primary")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#export-path", Input)
        stem = Path(path_input.value or default_path(self.view, "html"))
        # Keep the user's name, swap the extension to match the format.
        path_input.value = str(stem.with_suffix(f".{event.value}"))

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-write")
    def write(self) -> None:
        fmt = str(self.query_one("#export-format", Select).value)
        path = Path(self.query_one("#export-path", Input).value.strip() or default_path(self.view, fmt)).expanduser()
        self.query_one("#export-write", Button).disabled = True
        self.write_report(fmt, path)

    class Finished(Message):
        """The export worker is done: written paths, or the one-sentence reason it failed."""

        def __init__(self, paths: list[Path] | None, error: str | None) -> None:
            super().__init__()
            self.paths = paths
            self.error = error

    @work(thread=True, exclusive=True, group="export")
    def write_report(self, fmt: str, path: Path) -> None:
        from advisor.report import write_report

        try:
            paths = write_report(self.build_document(), fmt, path)
        except CatalogError as exc:
            self.post_message(self.Finished(None, str(exc)))
        except OSError as exc:
            self.post_message(self.Finished(None, f"Cannot write {path}: {exc.strerror or exc}."))
        else:
            self.post_message(self.Finished(paths, None))

    @on(Finished)
    def finished(self, message: Finished) -> None:
        # Dismissed here, on the UI thread: a screen closing from inside its own worker cancels that worker.
        if message.error:
            self.app.post_message(Failed("export", message.error))
        else:
            self.app.post_message(ExportWritten(message.paths or []))
        self.dismiss(message.paths)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
