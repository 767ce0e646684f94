#!/usr/bin/env python3
# Run from the crate root: python3 .ci/missing_examples.py src (exits 1 if any is missing).
"""List public fns/methods in src/ whose doc comment has no `# Examples` section.

Heuristic: a `pub fn` / `pub async fn` / `pub const fn` (not pub(crate)/pub(super)),
or a `fn` declared inside a `pub trait` block; the doc is the run of `///` lines
above it (attributes skipped). Trait-impl methods (`impl X for Y`) are skipped:
their docs live on the trait.
"""
import re, sys, pathlib

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
pub_fn = re.compile(r'^\s*pub\s+(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)')
trait_start = re.compile(r'^\s*pub\s+trait\s+(\w+)')
any_fn = re.compile(r'^\s*(const\s+)?(async\s+)?fn\s+(\w+)')
missing = []
total = 0
for path in sorted(root.rglob("*.rs")):
    if path.name == "loom.rs":
        continue
    lines = path.read_text().splitlines()
    in_trait = None
    depth = 0
    trait_depth = None
    in_test = False
    for i, line in enumerate(lines):
        if re.match(r'^\s*#\[cfg\(test\)\]', line):
            in_test = True
        m = pub_fn.match(line)
        name = None
        if m:
            name = m.group(4)
        elif in_trait is not None:
            m2 = any_fn.match(line)
            if m2 and depth == trait_depth + 1:
                name = f"{in_trait}::{m2.group(3)}"
        tm = trait_start.match(line)
        if tm:
            in_trait = tm.group(1)
            trait_depth = depth
        depth += line.count("{") - line.count("}")
        if in_trait is not None and depth <= trait_depth and "}" in line:
            in_trait = None
        if name is None or in_test:
            continue
        total += 1
        # collect doc comment above
        j = i - 1
        doc = []
        while j >= 0:
            s = lines[j].strip()
            if s.startswith("///"):
                doc.append(s)
            elif s.startswith("#[") or s.startswith("#![") or s == "" and False:
                pass
            elif s.startswith("//") and not s.startswith("///"):
                pass
            else:
                # attribute continuation lines like `)]`
                if doc == [] and (s.endswith(")]") or s.endswith("]")) and not s.endswith(";"):
                    j -= 1
                    continue
                break
            j -= 1
        text = "\n".join(doc)
        if "# Examples" not in text:
            missing.append(f"{path}:{i+1}: {name}")
if missing:
    print("\n".join(missing))
print(f"-- {len(missing)} of {total} public fns lack an `# Examples` doctest", file=sys.stderr)
sys.exit(1 if missing else 0)
