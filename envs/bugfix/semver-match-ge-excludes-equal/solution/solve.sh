#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/semver/version.py b/src/semver/version.py
index 7c30364..29309ab 100644
--- a/src/semver/version.py
+++ b/src/semver/version.py
@@ -597,7 +597,7 @@ build='build.10')
             "<": (-1,),
             "==": (0,),
             "!=": (-1, 1),
-            ">=": (1,),
+            ">=": (0, 1),
             "<=": (-1, 0),
         }
 
AGENTGYM_PATCH
