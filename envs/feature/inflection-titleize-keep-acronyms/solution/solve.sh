#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index c18a0b6..c5f18d4 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -351,7 +351,7 @@ def tableize(word: str) -> str:
     return pluralize(underscore(word))
 
 
-def titleize(word: str) -> str:
+def titleize(word: str, keep_acronyms: bool = False) -> str:
     """
     Capitalize all the words and replace some characters in the string to
     create a nicer looking title. :func:`titleize` is meant for creating pretty
@@ -369,6 +369,12 @@ def titleize(word: str) -> str:
       'Raiders Of The Lost Ark'
 
     """
+    if keep_acronyms:
+        return ' '.join(
+            part if len(part) > 1 and part.isupper() and part.isalpha()
+            else titleize(part)
+            for part in word.split(' ')
+        )
     return re.sub(
         r"\b('?\w)",
         lambda match: match.group(1).capitalize(),
AGENTGYM_PATCH
