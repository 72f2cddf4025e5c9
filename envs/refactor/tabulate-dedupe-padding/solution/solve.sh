#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/tabulate/__init__.py b/tabulate/__init__.py
index 503df34..7e9337b 100644
--- a/tabulate/__init__.py
+++ b/tabulate/__init__.py
@@ -944,6 +944,11 @@ def _afterpoint(string):
         return -1  # not a number
 
 
+def _pad(width, s, align):
+    """Pad ``s`` to ``width`` characters; ``align`` is "<", ">" or "^"."""
+    return ("{0:%s%ds}" % (align, width)).format(s)
+
+
 def _padleft(width, s):
     """Flush right.
 
@@ -951,8 +956,7 @@ def _padleft(width, s):
     True
 
     """
-    fmt = "{0:>%ds}" % width
-    return fmt.format(s)
+    return _pad(width, s, ">")
 
 
 def _padright(width, s):
@@ -962,8 +966,7 @@ def _padright(width, s):
     True
 
     """
-    fmt = "{0:<%ds}" % width
-    return fmt.format(s)
+    return _pad(width, s, "<")
 
 
 def _padboth(width, s):
@@ -973,8 +976,7 @@ def _padboth(width, s):
     True
 
     """
-    fmt = "{0:^%ds}" % width
-    return fmt.format(s)
+    return _pad(width, s, "^")
 
 
 def _padnone(ignore_width, s):
AGENTGYM_PATCH
