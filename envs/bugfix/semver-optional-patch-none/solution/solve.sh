#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/semver/version.py b/src/semver/version.py
index 6125932..29309ab 100644
--- a/src/semver/version.py
+++ b/src/semver/version.py
@@ -648,6 +648,7 @@ prerelease='pre.2', build='build.4')
         matched_version_parts: Dict[str, Any] = match.groupdict()
         if not matched_version_parts["minor"]:
             matched_version_parts["minor"] = 0
+        if not matched_version_parts["patch"]:
             matched_version_parts["patch"] = 0
 
         return cls(**matched_version_parts)
AGENTGYM_PATCH
