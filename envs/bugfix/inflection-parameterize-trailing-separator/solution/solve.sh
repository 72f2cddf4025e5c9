#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index 40d3a7e..c18a0b6 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -276,7 +276,7 @@ def parameterize(string: str, separator: str = '-') -> str:
         # No more than one of the separator in a row.
         string = re.sub(r'%s{2,}' % re_sep, separator, string)
         # Remove leading/trailing separator.
-        string = re.sub(r"(?i)^{sep}".format(sep=re_sep), '', string)
+        string = re.sub(r"(?i)^{sep}|{sep}$".format(sep=re_sep), '', string)
 
     return string.lower()
 
AGENTGYM_PATCH
