#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/semver/version.py b/src/semver/version.py
index e1261e5..29309ab 100644
--- a/src/semver/version.py
+++ b/src/semver/version.py
@@ -289,7 +289,7 @@ class Version:
         Version(major=3, minor=5, patch=0, prerelease=None, build=None)
         """
         cls = type(self)
-        return cls(self._major, self._minor + 1, self._patch)
+        return cls(self._major, self._minor + 1)
 
     def bump_patch(self) -> "Version":
         """
AGENTGYM_PATCH
