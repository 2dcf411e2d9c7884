"""Forms of the panels area (shape of input only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class RegisterUploadForm(FlaskForm):
    """Upload of a register extract (CSV); the import service checks its content."""

    file = FileField(_l("Register file (CSV)"), validators=[FileRequired(_l("Choose a file."))])
