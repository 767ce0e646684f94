#!/usr/bin/env python3
"""Lists the public fns and methods in src/ whose doc comment has no
`# Examples` section. Run from the crate root:

    python3 .ci/missing_examples.py [src]

Exits 1 if any is missing. A heuristic over the text, not a parser: it looks
at `pub fn` / `pub const fn` / `pub async fn` (not `pub(crate)` and the
like) and at the `fn`s declared directly inside a `pub trait`, outside
`#[cfg(test)]` code, and reads the `///` lines above each (attributes
skipped). Methods of trait impls are not listed: their docs are the trait's.

An example must be runnable: one marked `no_run` is reported, except under
`src/redis/`, where every example needs a running Redis server that `cargo
test --doc` does not have. Those examples are compiled (so they cannot rot)
and the same calls run against a real `redis-server` in
`tests/redis_queue.rs` and `tests/redis_rate_limit.rs`.
"""
import pathlib
import re
import sys

PUB_FN = re.compile(r"^\s*pub\s+(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)")
TRAIT = re.compile(r"^\s*pub\s+trait\s+(\w+)")
TRAIT_FN = re.compile(r"^\s*(?:const\s+)?(?:async\s+)?fn\s+(\w+)")


def doc_above(lines, i):
    """The `///` lines above line `i`, skipping attributes."""
    j = i - 1
    while j >= 0 and (lines[j].strip().startswith("#[") or lines[j].strip().endswith(")]")):
        j -= 1
    doc = []
    while j >= 0 and lines[j].strip().startswith("///"):
        doc.append(lines[j].strip())
        j -= 1
    return doc


# The top-level modules whose examples may be `no_run` (see above for why).
NO_RUN_ALLOWED = ("redis",)


def examples_of(doc):
    """The opening lines of the code blocks in `doc` (listed bottom-up)."""
    return [line for line in doc if line.startswith("/// ```") and line != "/// ```"]


def missing_in(path, no_run_ok):
    lines = path.read_text().splitlines()
    depth, trait, trait_depth, in_test = 0, None, 0, False
    for i, line in enumerate(lines):
        if re.match(r"^\s*#\[cfg\(test\)\]", line):
            in_test = True
        name = None
        if m := PUB_FN.match(line):
            name = m.group(1)
        elif trait and depth == trait_depth + 1 and (m := TRAIT_FN.match(line)):
            name = f"{trait}::{m.group(1)}"
        if m := TRAIT.match(line):
            trait, trait_depth = m.group(1), depth
        depth += line.count("{") - line.count("}")
        if trait and depth <= trait_depth and "}" in line:
            trait = None
        if name and not in_test:
            doc = doc_above(lines, i)
            runnable = "/// # Examples" in doc and (
                no_run_ok or not any("no_run" in o for o in examples_of(doc))
            )
            yield i + 1, name, runnable


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    total, missing = 0, []
    for path in sorted(root.rglob("*.rs")):
        if path.name == "loom.rs":
            continue
        no_run_ok = path.relative_to(root).parts[0] in NO_RUN_ALLOWED
        for line, name, has_example in missing_in(path, no_run_ok):
            total += 1
            if not has_example:
                missing.append(f"{path}:{line}: {name}")
    for m in missing:
        print(m)
    print(
        f"{len(missing)} of {total} public fns lack a runnable `# Examples` doctest"
        " (`no_run` is accepted only under src/redis/, which needs a server)",
        file=sys.stderr,
    )
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
