"""Write the main job's rule pack: the example Falcon pack's rules (the
corrected T1546.016 rule and the planted techniques' rules) and every
Sigma rule of the corpus that CrowdStrike's pySigma backend converted to
CQL (``corpus/queries.jsonl``, with its licence), as one manifest.

    .venv/bin/python scripts/main_pack.py build/main.cqlpack.yaml
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FALCON = ROOT / "rules" / "packs" / "falcon.cqlpack.yaml"
CORPUS = ROOT / "corpus" / "queries.jsonl"
LEVELS = ("informational", "low", "medium", "high", "critical")  # Sigma's levels are the pack's


def main(out: Path) -> int:
    falcon = yaml.safe_load(FALCON.read_text(encoding="utf-8"))
    rules = []
    for rule in falcon["rules"]:
        entry = {k: v for k, v in rule.items() if k != "tests"}
        if "query_file" in entry:  # relative to the example manifest
            entry["query_file"] = str((FALCON.parent / entry["query_file"]).resolve())
        rules.append(entry)
    sigma = 0
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not record.get("sigma_title"):
            continue
        sigma += 1
        rules.append(
            {
                "id": f"sigma-{record['id']}",
                "name": record["sigma_title"],
                "severity": record["sigma_level"]
                if record.get("sigma_level") in LEVELS
                else "medium",
                "tags": ["sigma", f"sigma.id:{record['sigma_id']}", f"licence:{record['license']}"],
                "query": record["query"],
            }
        )
    manifest = {"name": "falcon-and-sigma", "rules": rules}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"{out}: {len(falcon['rules'])} Falcon rules and {sigma} Sigma-converted rules")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
