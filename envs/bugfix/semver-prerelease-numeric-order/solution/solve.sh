#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/semver/version.py b/src/semver/version.py
index c9b78a3..29309ab 100644
--- a/src/semver/version.py
+++ b/src/semver/version.py
@@ -150,6 +150,8 @@ class Version:
 
         a, b = a or "", b or ""
         a_parts, b_parts = a.split("."), b.split(".")
+        a_parts = [int(x) if re.match(r"^\d+$", x) else x for x in a_parts]
+        b_parts = [int(x) if re.match(r"^\d+$", x) else x for x in b_parts]
         for sub_a, sub_b in zip(a_parts, b_parts):
             cmp_result = cmp_prerelease_tag(sub_a, sub_b)
             if cmp_result != 0:
AGENTGYM_PATCH
