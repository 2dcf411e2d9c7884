"""Regenerate the initial schema migration from the models (before the first release only).

Until Civic's first release the schema lives in one migration, `0001_initial`. This script
rebuilds it: autogenerate against an empty database, then append the database rules (audit
chain head, append-only triggers) that `create_all` installs through an event. After the
first release, add ordinary incremental migrations with `flask db migrate` instead.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "civic" / "migrations" / "versions"
TARGET = VERSIONS / "0001_initial.py"
RULES_CALL = """
    # Database rules that models cannot express: the audit chain head and append-only
    # triggers (civic.audit.models), the ideas' full-text index (proposals.similarity).
    from civic.audit import models as audit_models
    from proposals import similarity

    audit_models.install_database_rules(op.get_bind())
    similarity.install_database_rules(op.get_bind())
"""


def main() -> int:
    TARGET.unlink(missing_ok=True)
    VERSIONS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": str(Path(sys.executable).parent),
            "FLASK_APP": "civic",
            "DATABASE_URL": f"sqlite:///{tmp}/empty.sqlite",
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "db",
                "migrate",
                "-m",
                "initial schema",
                "--rev-id",
                "0001",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
    generated = next(VERSIONS.glob("0001_*.py"))
    source = generated.read_text()
    head, _, tail = source.partition("\n\ndef downgrade")
    head = head.rstrip().removesuffix("# ### end Alembic commands ###").rstrip()
    source = (
        head + "\n    # ### end Alembic commands ###\n" + RULES_CALL + "\n\ndef downgrade" + tail
    )
    generated.unlink()
    TARGET.write_text("\n".join(line.rstrip() for line in source.splitlines()) + "\n")
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "--fix", "--quiet", str(TARGET)], cwd=ROOT, check=True)
    subprocess.run([*ruff, "format", "--quiet", str(TARGET)], cwd=ROOT, check=True)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
