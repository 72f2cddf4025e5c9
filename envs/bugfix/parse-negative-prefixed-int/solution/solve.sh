#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/parse.py b/parse.py
index ae31f88..51a6953 100644
--- a/parse.py
+++ b/parse.py
@@ -70,7 +70,7 @@ class int_convert:
     def __call__(self, string, match):
         if string[0] == "-":
             sign = -1
-            number_start = 0
+            number_start = 1
         elif string[0] == "+":
             sign = 1
             number_start = 1
AGENTGYM_PATCH
