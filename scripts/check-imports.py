"""Every `import` in a target names a module the target declares as a dependency directly (a target or a
product of Package.swift), or one of the toolchain's. SwiftPM's own check accepts modules reached only
through other targets; this one does not. Reads `swift package dump-package` on standard input.
Only the imports at the top of a file count (before its first declaration)."""
import json, os, re, sys

pkg = json.load(sys.stdin)
toolchain = {"Foundation", "FoundationNetworking", "FoundationEssentials", "Glibc", "Musl", "Darwin", "Dispatch", "Testing",
             "XCTest", "PackagePlugin", "Synchronization", "_Concurrency", "Swift"}
importPattern = re.compile(r'^\s*(?:@testable\s+|@_exported\s+|(?:public|package|internal|private|fileprivate)\s+)?import\s+'
                           r'(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)')
header = re.compile(r'^\s*($|//|/\*|\*|#if|#else|#elseif|#endif|(@testable\s+|@_exported\s+|(public|package|internal|private|fileprivate)\s+)?import\s)')
bad = []
for target in pkg["targets"]:
    if target["type"] == "system":
        continue
    name = target["name"]
    declared = {list(d.values())[0][0] for d in target.get("dependencies", [])}
    default = {"test": "Tests", "plugin": "Plugins"}.get(target["type"], "Sources")
    folder = target.get("path") or f"{default}/{name}"
    for root, _, files in os.walk(folder):
        for file in sorted(f for f in files if f.endswith(".swift")):
            path = os.path.join(root, file)
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                if not header.match(line):
                    break
                match = importPattern.match(line)
                if match and match.group(1) not in toolchain | declared | {name}:
                    bad.append(f"{path}:{number}: {name} imports {match.group(1)} without declaring it as a dependency in Package.swift")
for line in bad:
    print("module boundary broken:", line)
sys.exit(1 if bad else 0)
