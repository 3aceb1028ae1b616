"""The README's `nninit.torch.probe` excerpts are real output: every line of the `text` blocks
of its "Probe your own model" section (but the `...` elisions) is a line that
`scripts/probe_examples.py` prints now, so the excerpts cannot drift from the code."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_excerpts():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Probe your own model")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```text\n(.*?)```", text[start:end], flags=re.S)


def test_readme_probe_excerpts_are_printed_by_the_script():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import probe_examples
    finally:
        sys.path.pop(0)
    _, _, printed = probe_examples.tables()
    lines = {l.rstrip() for t in printed for l in t.splitlines()}
    blocks = readme_excerpts()
    assert len(blocks) == 2, "the section has the GPT and the ResNet excerpts"
    checked = 0
    for block in blocks:
        for line in block.splitlines():
            if line.strip() in ("", "..."):
                continue
            assert line.rstrip() in lines, f"README line not printed by scripts/probe_examples.py:\n{line}"
            checked += 1
    assert checked >= 20
