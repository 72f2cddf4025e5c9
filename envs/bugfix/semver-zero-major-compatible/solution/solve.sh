#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/semver/version.py b/src/semver/version.py
index 521a710..29309ab 100644
--- a/src/semver/version.py
+++ b/src/semver/version.py
@@ -727,6 +727,10 @@ prerelease='pre.2', build='build.4')
         if not isinstance(other, Version):
             raise TypeError(f"Expected a Version type but got {type(other)}")
 
+        # All major-0 versions should be incompatible with anything but itself
+        if (0 == self.major == other.major) and (self[:4] != other[:4]):
+            return False
+
         return (
             (self.major == other.major)
             and (other.minor >= self.minor)
AGENTGYM_PATCH
