#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/parse.py b/parse.py
index 2cabeda..51a6953 100644
--- a/parse.py
+++ b/parse.py
@@ -85,7 +85,7 @@ class int_convert:
             base = 10
 
             # For number formats starting with 0b, 0o, 0x, use corresponding base ...
-            if string[number_start] == "0" and len(string) - number_start > 3:
+            if string[number_start] == "0" and len(string) - number_start > 2:
                 if string[number_start + 1] in "bB":
                     base = 2
                 elif string[number_start + 1] in "oO":
AGENTGYM_PATCH
